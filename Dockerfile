# Doorstep: the same install and start commands as the README's quick start, as a non-root
# user, with all state (SQLite database, attachments, QR codes) in the /data volume.
# For PostgreSQL set DOORSTEP_DATABASE_URL; behind a proxy set DOORSTEP_TRUSTED_PROXIES.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DOORSTEP_INSTANCE_DIR=/data \
    FLASK_APP=wsgi

# pg_dump, pg_restore and psql, which `flask backup` and `flask restore` run on PostgreSQL
# (Debian's client 15: a newer server needs a client at least as new, docs/operations.md)
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 doorstep && mkdir /data && chown doorstep /data
WORKDIR /srv/doorstep
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY wsgi.py ./
COPY app ./app
COPY migrations ./migrations
COPY forms ./forms
# ODK Web Forms for the browser forms, from the npm registry's tarballs checked against their
# pinned SHA-512 (app/webforms/assets.py), into app/webforms/vendor of the image; with a
# throwaway instance directory, so no secret key is made at build time and baked into a layer
RUN DOORSTEP_INSTANCE_DIR=/tmp/build-instance flask --app wsgi webforms install \
    && rm -rf /tmp/build-instance

USER doorstep
VOLUME /data
EXPOSE 8000
CMD ["sh", "-c", "flask --app wsgi setup && exec gunicorn -c python:app.gunicorn_conf wsgi:app"]
