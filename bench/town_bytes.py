"""Bytes each phone of a synthetic town (`flask demo town`) is sent: every entity list its
forms attach and the village-keyed choice files, with every property and every village's
row (as before issue 16) and as it is served now (the columns its forms read, its own
villages), plain and gzipped. Reads the town's database; changes nothing.

    DOORSTEP_DATABASE_URL=sqlite:////tmp/town.sqlite3 DOORSTEP_DATA_DIR=/tmp/town-data \\
        python bench/town_bytes.py
"""
import gzip
import os
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def phones(session):
    """(name, Actor) of every live app user of project 1."""
    from sqlalchemy import select

    from app.auth.actors import Actor
    from app.auth.models import AppUser
    out = []
    for user in session.scalars(select(AppUser).where(AppUser.revoked_at.is_(None))
                                .order_by(AppUser.id)):
        out.append((user.display_name, Actor(
            "app_user", user.id, user.display_name, "app_user", user.project_id,
            None if user.all_areas else frozenset(a.id for a in user.areas),
            None if user.all_forms else frozenset(f.id for f in user.forms))))
    return out


def files_of(session, actor):
    """{file name: attachment} over the current versions of the forms this phone may download."""
    from sqlalchemy import select

    from app.forms.models import Form, FormVersion
    found = {}
    for form, version in session.execute(select(Form, FormVersion).join(
            FormVersion, FormVersion.id == Form.current_version_id).where(Form.state == "open")):
        if actor.sees_form(form.id):
            for a in version.attachments:
                if a.dataset is not None or (a.blob is not None and a.name.endswith(".csv")):
                    found.setdefault(a.name, a)
    return found


def sizes(session, store, actor, attachment):
    """(bytes before, bytes now) of one file as this phone downloads it."""
    from app.forms import village_files
    from app.register.lists import entity_csv
    if attachment.dataset is not None:
        every = [p.name for p in attachment.dataset.properties]
        before = entity_csv(session, attachment.dataset, actor, every).encode()
        now = entity_csv(session, attachment.dataset, actor).encode()
        return before, now
    before = store.read(attachment.blob.sha256)
    cut = village_files.for_actor(session, store, 1, actor, attachment.name, attachment.blob)
    return before, cut[0] if cut else before


def main():
    from app import create_app
    from app.db import db
    app = create_app()
    with app.app_context():
        store = app.extensions["blob_store"]
        totals = defaultdict(lambda: [0, 0, 0, 0])
        print(f"{'phone':<28}{'file':<18}{'before':>12}{'now':>12}{'saved':>7}"
              f"{'gz before':>12}{'gz now':>12}")
        for name, actor in phones(db.session):
            for filename, attachment in sorted(files_of(db.session, actor).items()):
                before, now = sizes(db.session, store, actor, attachment)
                gz_before, gz_now = (len(gzip.compress(b, 6, mtime=0)) for b in (before, now))
                print(f"{name[:27]:<28}{filename:<18}{len(before):>12,}{len(now):>12,}"
                      f"{1 - len(now) / max(len(before), 1):>7.0%}{gz_before:>12,}{gz_now:>12,}")
                kind = name.removeprefix("demo ").partition(":")[0]
                for key in (kind, "all phones"):
                    t = totals[key]
                    t[0] += len(before)
                    t[1] += len(now)
                    t[2] += gz_before
                    t[3] += gz_now
        print(f"\n{'phones':<28}{'':<18}{'before':>12}{'now':>12}{'saved':>7}"
              f"{'gz before':>12}{'gz now':>12}")
        for key, (b, n, gb, gn) in totals.items():
            print(f"{key:<28}{'(every file)':<18}{b:>12,}{n:>12,}{1 - n / max(b, 1):>7.0%}"
                  f"{gb:>12,}{gn:>12,}")


if __name__ == "__main__":
    main()
