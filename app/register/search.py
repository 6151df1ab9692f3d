"""The people search's index (PersonSearch, table person_search): one row per live person,
built by `row` alone from the entity's properties (and, by `terms`, a PersonNameTerm per
ending of her Han name), and written where the entity is
(app.register.entities: create, update, delete, restore, purge), in the same transaction.
`fill` builds it for a whole register (the migration that made it; a rebuild compares it).

What a search matches, each an index range (`prefix`), never a scan of entities' JSON:
- a part of a Han name (the start of one of the name's endings: person_name_terms);
- toneless pinyin from its start (wangxiaomei, wang xiao mei, wangx) or its initials (wxm);
- the last digits of the resident ID number or the phone (stored reversed: a suffix is then a
  prefix).
"""
import datetime as dt
import re
import unicodedata

from sqlalchemy import bindparam, delete, insert, select, update

from app.db.driver_sql import DriverStatement
from app.register.models import Dataset, Entity, PersonNameTerm, PersonSearch

#: the list whose entities are people
PEOPLE = "people"
MARRIED = ("first_marriage", "remarried")
_T = PersonSearch.__table__
_N = PersonNameTerm.__table__
_NOT_ALNUM = re.compile(r"[^0-9a-z]")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def has_han(text):
    return bool(_HAN.search(text))


def _pinyin(name):
    """(full pinyin, initials) of a name: toneless, lower case, ü written v, nothing but
    letters and digits. Non-Han runs (a Latin name) count as one syllable."""
    from pypinyin import lazy_pinyin   # noqa: PLC0415 - its dictionaries are slow to load
    syllables = [_NOT_ALNUM.sub("", s.lower().replace("ü", "v"))
                 for s in lazy_pinyin(name, v_to_u=False)]
    syllables = [s for s in syllables if s]
    return "".join(syllables), "".join(s[0] for s in syllables)


def name_key(text):
    return "".join(unicodedata.normalize("NFKC", text or "").split())


def pinyin_key(text):
    """What a typed pinyin query is compared as: wang xiao-mei → wangxiaomei; lü/lu: → lv."""
    text = unicodedata.normalize("NFKC", text or "").lower().replace("ü", "v").replace("u:", "v")
    return _NOT_ALNUM.sub("", text)


def digits(text):
    return "".join(c for c in (text or "") if c.isdigit())


def _date(value):
    try:
        return dt.date.fromisoformat((value or "").strip()[:10])
    except ValueError:
        return None


def row(entity_id, project_id, area_id, data):
    """The index row of a person with these properties (a dict of strings)."""
    from app.register.entities import id_number_key   # noqa: PLC0415 - entities imports us
    name = name_key(data.get("full_name"))
    pinyin, initials = _pinyin(name) if name else ("", "")
    id_number = id_number_key(data)
    phone = digits(data.get("phone"))[:40]
    return {"entity_id": entity_id, "project_id": project_id, "area_id": area_id,
            "household": (data.get("household") or "").strip()[:36], "name": name,
            "pinyin": pinyin, "initials": initials[:64], "id_number": id_number,
            "id_reversed": id_number[::-1] if id_number else None,
            "phone_reversed": phone[::-1] or None, "sex": (data.get("sex") or "")[:20],
            "dob": _date(data.get("dob")),
            "marital_status": (data.get("marital_status") or "")[:40],
            "residence_status": (data.get("residence_status") or "")[:40],
            "pregnant": data.get("pregnant") == "yes", "deceased": data.get("deceased") == "yes"}


def terms(row):
    """The name-term rows of an index row: one per distinct ending of the name."""
    name = row["name"]
    return [{"entity_id": row["entity_id"], "term": t, "project_id": row["project_id"],
             "area_id": row["area_id"], "pinyin": row["pinyin"]}
            for t in sorted({name[i:] for i in range(len(name))})]


def _term_keys(row):
    return (row["name"], row["area_id"], row["pinyin"], row["project_id"])


_INSERT_ROW = DriverStatement(insert(_T).values(
    {c.name: bindparam(c.name, type_=c.type) for c in _T.c}))
_TERM_COLUMNS = ("entity_id", "term", "project_id", "area_id", "pinyin")
#: number of terms -> the statement writing that many in one (a name has 2 to 4 characters)
_INSERT_TERMS = {}


def _insert_terms(count):
    found = _INSERT_TERMS.get(count)
    if found is None:
        found = _INSERT_TERMS[count] = DriverStatement(insert(_N).values([
            {c: bindparam(f"{c}_{i}", type_=_N.c[c].type) for c in _TERM_COLUMNS}
            for i in range(count)]))
    return found


def _insert(session, rows):
    """Write index rows and their name terms: one person (a register write, the merge's hot
    path) as two prebuilt statements on the driver's cursor, many (fill) as two batches."""
    if len(rows) == 1 and len(rows[0]["name"]) <= 8:
        _INSERT_ROW.run(session, rows[0])
        found = terms(rows[0])
        if found:
            _insert_terms(len(found)).run(session, {f"{c}_{i}": t[c] for i, t in enumerate(found)
                                                    for c in _TERM_COLUMNS})
        return
    session.execute(insert(_T), rows)
    found = [t for r in rows for t in terms(r)]
    if found:
        session.execute(insert(_N), found)


def prefix(column, text):
    """`column` starts with `text`, as an index range: text <= column < text's successor
    (UTF-8 byte order is code point order, which SQLite's BINARY and PostgreSQL's "C"
    collation compare by)."""
    return (column >= text) & (column < text[:-1] + chr(ord(text[-1]) + 1))


def add(session, project_id, list_name, entity_id, area_id, data):
    """Index a new (or restored) entity when its list is a people list."""
    if list_name == PEOPLE:
        _insert(session, [row(entity_id, project_id, area_id, data)])


def changed(session, entity, old_area_id, old_data, dataset=None):
    """Re-index an updated entity when what the index holds of it changed (a home visit
    resends every member unchanged: then nothing is written)."""
    dataset = dataset or session.get(Dataset, entity.dataset_id)   # usually the identity map's
    if dataset.name != PEOPLE or entity.deleted_at is not None:
        return
    new = row(entity.id, dataset.project_id, entity.area_id, entity.data)
    old = row(entity.id, dataset.project_id, old_area_id, old_data)
    if new == old:
        return
    done = session.execute(update(_T).where(_T.c.entity_id == entity.id).values(new))
    if not done.rowcount:
        _insert(session, [new])
    elif _term_keys(new) != _term_keys(old):
        session.execute(delete(_N).where(_N.c.entity_id == entity.id))
        if new["name"]:
            session.execute(insert(_N), terms(new))


def remove(session, entity_id):
    session.execute(delete(_N).where(_N.c.entity_id == entity_id))
    session.execute(delete(_T).where(_T.c.entity_id == entity_id))


def fill(session, batch=2000):
    """Index every live person of every people list (the table empty before). Returns how
    many."""
    lists = dict(session.execute(select(Dataset.id, Dataset.project_id)
                                 .where(Dataset.name == PEOPLE)).all())
    if not lists:
        return 0
    query = (select(Entity.id, Entity.dataset_id, Entity.area_id, Entity.data)
             .where(Entity.dataset_id.in_(lists), Entity.deleted_at.is_(None))
             .order_by(Entity.id).limit(batch))
    written, last = 0, 0
    while True:
        found = session.execute(query.where(Entity.id > last)).all()
        if found:
            _insert(session, [row(r.id, lists[r.dataset_id], r.area_id, r.data or {})
                              for r in found])
            written += len(found)
        if len(found) < batch:
            return written
        last = found[-1].id


def snapshot(session, project_id):
    """The project's index as comparable values, by entity uuid (a rebuild's ids differ):
    each row with its name terms (term, village, pinyin)."""
    columns = [c for c in _T.c if c.name != "entity_id"]
    out = {r[0]: {**dict(zip([c.name for c in columns], r[1:])), "terms": []}
           for r in session.execute(select(Entity.uuid, *columns)
                                    .join(Entity, Entity.id == _T.c.entity_id)
                                    .where(_T.c.project_id == project_id))}
    for r in session.execute(select(Entity.uuid, _N.c.term, _N.c.area_id, _N.c.pinyin)
                             .join(Entity, Entity.id == _N.c.entity_id)
                             .where(_N.c.project_id == project_id)
                             .order_by(Entity.uuid, _N.c.term)):
        out.setdefault(r.uuid, {"terms": []})["terms"].append((r.term, r.area_id, r.pinyin))
    return out


def compare(live, rebuilt):
    """How the live index differs from the rebuilt one, as lines."""
    out = []
    for uuid in sorted(set(live) | set(rebuilt)):
        a, b = live.get(uuid), rebuilt.get(uuid)
        if a != b:
            out.append(f"person_search {uuid}: live {a!r}, rebuilt {b!r}")
    return out
