"""How the PostgreSQL command-line tools (pg_dump, pg_restore) reach Doorstep's database: a
libpq URL without the password, which goes in PGPASSWORD so that no process list shows it."""
import os


def libpq(url):
    """(libpq connection URL, environment) for a SQLAlchemy URL."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = url.set(drivername="postgresql")._replace(password=None)
    return plain.render_as_string(hide_password=False), env
