"""Media CSV files keyed by village, such as forms/villages.csv, cut to the villages of the
phone that downloads them: a worker's form offers only her villages, and learns nothing of
the others.

The rule: a CSV attachment is keyed by village when every row's `name` (the value a choice
list stores) is a village code of the project, or else when every row's `village` column is
one. A user limited to some villages is then served only the rows of her villages; any other
CSV, and every file for town-level users, is served whole. The manifest hash of a cut file is
the MD5 of the bytes served (Collect compares it with the MD5 of the copy it has), so it
differs per village scope. Files above MAX_BYTES are not read for this and are served whole
(a list of villages is a few hundred bytes); with at most CACHED cuts kept per process, the
cache holds at most 32 MiB.
"""
import csv
import hashlib
import io
from functools import lru_cache

from sqlalchemy import select

from app.projects.models import Area

MAX_BYTES = 256 << 10
CACHED = 128
KEY_COLUMNS = ("name", "village")


def for_actor(session, store, project_id, actor, name, blob):
    """(bytes, md5) of the file as this actor is served it when it is cut to her villages;
    None when she is served the stored blob whole."""
    if actor.area_ids is None or not name.lower().endswith(".csv") or blob.size > MAX_BYTES:
        return None
    codes = dict(session.execute(select(Area.id, Area.code).where(Area.project_id == project_id))
                 .all())
    mine = frozenset(codes[a] for a in actor.area_ids if a in codes)
    return _cut(store, blob.sha256, frozenset(codes.values()), mine)


@lru_cache(maxsize=CACHED)
def _cut(store, sha256, villages, mine):
    """Content-addressed (the blob's sha256 and the two sets of codes), so safe to keep."""
    rows = _rows(store.read(sha256))
    if rows is None or len(rows) < 2:
        return None
    header, body = rows[0], rows[1:]
    key = next((header.index(c) for c in KEY_COLUMNS if c in header
                and all(len(r) > header.index(c) and r[header.index(c)] in villages
                        for r in body)), None)
    if key is None:
        return None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(r for r in body if r[key] in mine)
    data = out.getvalue().encode("utf-8")
    return data, hashlib.md5(data).hexdigest()


def _rows(data):
    """The CSV's rows (header first, blank lines dropped), or None when it is not UTF-8 text
    we can read."""
    try:
        text = data.decode("utf-8-sig")
        return [r for r in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in r)]
    except (UnicodeDecodeError, csv.Error):
        return None
