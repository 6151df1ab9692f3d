"""Outside lists and their reconciliation with the register (issue 23, parts 3 and 4): a
hospital's births and the household registry imported (app.quality.outside_files reads the
file), stored once per file and once per record, matched with the shared matcher
(app.quality.matching) and listed as matched, omitted and extra, each with its evidence; and
the statistics accuracy they give (matched ÷ outside records) per village, town and month.

Scope: an actor with some villages imports only their rows (the others are skipped and
counted) and reads only imports and results of her villages; another village's are not found.
Every import and every read of results is audited. The results are derived: `rerun` makes
them again from the stored rows and today's register, the same every time.
"""
import datetime as dt
import hashlib
from collections import defaultdict

from sqlalchemy import and_, delete, func, insert, or_, select

from app.audit.record import record
from app.events.models import LifeEvent
from app.db.columns import isoformat, utcnow
from app.problems import Problem
from app.projects.models import Area, Project
from app.quality import matching
from app.quality import outside_files as files
from app.quality.outside_files import HOSPITAL, KINDS
from app.quality.outside_models import (OutsideImport, OutsideImportRow, OutsideRecord,
                                        OutsideResult)
from app.register.models import Dataset, Entity

MATCHED, OMITTED, EXTRA = "matched", "omitted", "extra"
STATUSES = (MATCHED, OMITTED, EXTRA)
#: a hospital's birth date and the register's may differ by this many days and still match
#: (a birth near midnight, a date typed a day off)
DATE_WINDOW = 3
#: the bad rows an import keeps to show (the count is kept whole)
MAX_LISTED = 500
#: the default file size limit (the app's OUTSIDE_MAX_BYTES overrides it)
MAX_BYTES = 8_000_000
PAGE = 100
#: register people the household registry is not expected to hold: 户籍 is the registry's,
#: so in-migrants and those who moved out are not extras
NOT_IN_REGISTRY = ("moved_in", "moved_out")


# ------------------------------------------------------------------------------ importing

def villages_of(session, project_id):
    """{code, Chinese name or English name in lower case: (area id, code)} of the project."""
    out = {}
    for area_id, code, zh, en in session.execute(
            select(Area.id, Area.code, Area.name_zh, Area.name_en)
            .where(Area.project_id == project_id)):
        for name in (en.lower() if en else None, zh, code):
            if name:
                out[name] = (area_id, code)
    return out


def _allowed(actor, village_ids=None):
    """The area ids an import keeps (None: every village): the chosen ones, else hers."""
    return village_ids if village_ids is not None else (
        None if actor is None else actor.area_ids)


def _scope_key(ids):
    return "" if ids is None else ",".join(str(i) for i in sorted(ids))


def import_file(session, actor, project_id, kind, filename, data, max_bytes=MAX_BYTES,
                village_ids=None):
    """Import one file: (OutsideImport, created). The same bytes of the same kind imported
    again in the same scope are the earlier import, unchanged (created False). Bad rows are
    listed, good ones kept; a file with no good row is refused (400.294). Only the rows of
    `village_ids` (a subset of the actor's, checked by the caller), else of the actor's
    villages, are kept. Reconciles it and writes the audit row; nothing is committed here."""
    if kind not in KINDS:
        raise Problem("400.293", {"kind": kind, "allowed": ", ".join(KINDS)})
    if len(data) > max_bytes:
        raise Problem("413.291", {"size": len(data), "limit": max_bytes})
    digest = hashlib.sha256(data).hexdigest()
    allowed = _allowed(actor, village_ids)
    scope = _scope_key(allowed)
    # one import at a time per project (PostgreSQL; SQLite's writers are one at a time): the
    # same file or the same keys sent twice at once find each other instead of a unique-key
    # error
    session.scalar(select(Project.id).where(Project.id == project_id).with_for_update())
    found = session.scalar(select(OutsideImport).where(
        OutsideImport.project_id == project_id, OutsideImport.kind == kind,
        OutsideImport.sha256 == digest, OutsideImport.scope == scope))
    if found is not None:
        record(session, actor, "outside.import", f"outside_import:{found.id}", kind=kind,
               filename=filename, sha256=digest, repeated=True)
        return found, False
    read = files.read(data, kind, villages_of(session, project_id), allowed)
    if allowed is not None:
        _keep_to_scope(session, project_id, kind, read, allowed)
    if not read.rows:
        first = read.bad[:3]
        if first:
            why = ("：" + "；".join(b["zh"] for b in first), ": " + "; ".join(b["en"] for b in first))
        elif read.skipped:
            why = (f"（{read.skipped} 行不属于您的村）", f" ({read.skipped} rows of villages not yours)")
        else:                           # headers alone: saying "0 rows not yours" misleads
            why = ("（文件只有表头，没有数据行）", " (the file has headers but no data rows)")
        raise Problem("400.294", {"zh": "没有可用的行" + why[0], "en": "no usable row" + why[1]})
    dates = [r["data"]["birth_date" if kind == HOSPITAL else "dob"] for r in read.rows]
    imported = OutsideImport(
        project_id=project_id, kind=kind, filename=(filename or "upload")[:255], sha256=digest,
        scope=scope, size=len(data), rows_read=read.read, rows_kept=len(read.rows),
        rows_skipped=read.skipped, rejected=read.bad[:MAX_LISTED], rows_rejected=len(read.bad),
        area_ids=sorted({r["area_id"] for r in read.rows}),
        first_date=dt.date.fromisoformat(min(dates)), last_date=dt.date.fromisoformat(max(dates)),
        actor_type=actor.kind if actor else "system", actor_id=actor.id if actor else None)
    session.add(imported)
    session.flush()
    _store_rows(session, project_id, kind, imported.id, read.rows)
    reconcile(session, imported)
    record(session, actor, "outside.import", f"outside_import:{imported.id}", kind=kind,
           filename=imported.filename, sha256=digest, rows=imported.rows_kept,
           rejected=imported.rows_rejected, skipped=imported.rows_skipped, repeated=False)
    return imported, True


def _keep_to_scope(session, project_id, kind, read, allowed):
    """Skip (as rows of villages not hers) a scoped importer's rows whose key names a record
    held in another village: a record is shared by every import naming its key, and taking her
    values would move another village's record (and change that village's results and
    accuracy) into hers."""
    keys, elsewhere = [r["key"] for r in read.rows], set()
    for start in range(0, len(keys), 500):           # bound the IN list
        elsewhere.update(session.scalars(select(OutsideRecord.key).where(
            OutsideRecord.project_id == project_id, OutsideRecord.kind == kind,
            OutsideRecord.key.in_(keys[start:start + 500]),
            OutsideRecord.area_id.not_in(sorted(allowed)))))
    if elsewhere:
        read.rows = [r for r in read.rows if r["key"] not in elsewhere]
        read.skipped += len(keys) - len(read.rows)


def _store_rows(session, project_id, kind, import_id, rows):
    """One outside_records row per key (a key seen in an earlier file takes this file's
    values), and this import's rows pointing at them."""
    known = {}
    keys = [r["key"] for r in rows]
    for start in range(0, len(keys), 500):           # bound the IN list
        known.update(session.execute(select(OutsideRecord.key, OutsideRecord.id).where(
            OutsideRecord.project_id == project_id, OutsideRecord.kind == kind,
            OutsideRecord.key.in_(keys[start:start + 500]))).all())
    now = utcnow()
    new = [{"project_id": project_id, "kind": kind, "key": r["key"], "area_id": r["area_id"],
            "data": r["data"], "created_at": now} for r in rows if r["key"] not in known]
    if new:
        session.execute(insert(OutsideRecord.__table__), new)
    for r in rows:
        if r["key"] in known:
            session.execute(OutsideRecord.__table__.update()
                            .where(OutsideRecord.id == known[r["key"]])
                            .values(data=r["data"], area_id=r["area_id"], updated_at=now))
    for start in range(0, len(keys), 500):
        known.update(session.execute(select(OutsideRecord.key, OutsideRecord.id).where(
            OutsideRecord.project_id == project_id, OutsideRecord.kind == kind,
            OutsideRecord.key.in_(keys[start:start + 500]))).all())
    session.execute(insert(OutsideImportRow.__table__),
                    [{"import_id": import_id, "record_id": known[r["key"]], "row_no": r["row"]}
                     for r in rows])


# ------------------------------------------------------------------------------ reconciling

def rerun(session, actor, project_id, import_id):
    """Make an import's results again from its stored rows and today's register."""
    imported = one(session, actor, project_id, import_id)
    reconcile(session, imported)
    record(session, actor, "outside.rerun", f"outside_import:{imported.id}")
    return imported


def reconcile(session, imported):
    """Replace the import's results with a fresh reconciliation."""
    # two reruns at once would each delete, then each insert: one waits for the other
    session.scalar(select(OutsideImport.id).where(OutsideImport.id == imported.id)
                   .with_for_update())
    records = session.execute(
        select(OutsideRecord.id, OutsideRecord.key, OutsideRecord.area_id, OutsideRecord.data)
        .join(OutsideImportRow, OutsideImportRow.record_id == OutsideRecord.id)
        .where(OutsideImportRow.import_id == imported.id)
        .order_by(OutsideImportRow.row_no)).all()
    codes = dict(session.execute(select(Area.id, Area.code)
                                 .where(Area.project_id == imported.project_id)).all())
    if imported.kind == HOSPITAL:
        lines = _births(session, imported, records, codes)
    else:
        lines = _registry(session, imported, records, codes)
    session.execute(delete(OutsideResult.__table__)
                    .where(OutsideResult.import_id == imported.id))
    if lines:
        session.execute(insert(OutsideResult.__table__),
                        [{"import_id": imported.id, "record_id": None, "register_uuid": None,
                          "occurred_on": None, "exact": None, "score": None, "band": None,
                          "register": {}, **line} for line in lines])
    imported.reconciled_at = utcnow()


def _people(session, project_id, area_ids=None, uuids=None):
    """{uuid: data} of live people rows, of some villages or some uuids."""
    query = (select(Entity.uuid, Entity.area_id, Entity.data)
             .join(Dataset, Dataset.id == Entity.dataset_id)
             .where(Dataset.project_id == project_id, Dataset.name == "people",
                    Entity.deleted_at.is_(None)))
    if area_ids is not None:
        query = query.where(Entity.area_id.in_(area_ids))
    out = {}
    if uuids is not None:
        uuids = sorted(set(uuids))
        for start in range(0, len(uuids), 500):
            for uuid, area_id, data in session.execute(
                    query.where(Entity.uuid.in_(uuids[start:start + 500]))):
                out[uuid] = (area_id, data)
        return out
    return {uuid: (area_id, data) for uuid, area_id, data in session.execute(query)}


def _register_view(data, codes=None, area_id=None):
    """What a list shows of a register person."""
    out = {k: data.get(k) or "" for k in ("full_name", "sex", "dob", "household")}
    out["id_masked"] = _mask((data.get("id_number") or "").upper())
    if codes is not None:
        out["village"] = codes.get(area_id, "")
    return out


def _mask(number):
    if len(number) <= 10:
        return "*" * max(0, len(number) - 4) + number[-4:]
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def _births(session, imported, records, codes):
    """Hospital births against the register's birth events: the same mother (the matcher on
    the mothers), a birth date within DATE_WINDOW days and the same sex; a register birth is
    taken by one hospital record at most, the best scored first."""
    window = dt.timedelta(days=DATE_WINDOW)
    query = (select(LifeEvent.person, LifeEvent.other_person, LifeEvent.occurred_on,
                    LifeEvent.area_id, LifeEvent.details)
             .where(LifeEvent.project_id == imported.project_id, LifeEvent.kind == "birth",
                    LifeEvent.occurred_on >= imported.first_date - window,
                    LifeEvent.occurred_on <= imported.last_date + window)
             .order_by(LifeEvent.occurred_on, LifeEvent.person))
    if imported.scope:
        query = query.where(LifeEvent.area_id.in_(imported.area_ids))
    births = [b for b in session.execute(query).all() if b.person]
    mothers = _people(session, imported.project_id,
                      uuids=[b.other_person for b in births if b.other_person])
    by_day = defaultdict(list)
    for b in births:
        by_day[b.occurred_on].append(b)
    candidates = []
    for rec in records:
        d = rec.data
        day = dt.date.fromisoformat(d["birth_date"])
        mother = matching.Person(key=f"hospital:{rec.key}", name=d["mother_name"],
                                 id_number=d.get("mother_id_number") or "", sex="female",
                                 village=d["village"])
        for offset in range(-DATE_WINDOW, DATE_WINDOW + 1):
            for b in by_day.get(day + dt.timedelta(days=offset), ()):
                found = _birth_pair(rec, mother, b, mothers, codes, offset)
                if found:
                    candidates.append(found)
    # best first: the score, then the nearer date, then the keys for a stable order
    candidates.sort(key=lambda c: (-c["score"], abs(c["days"]), c["record_key"], c["uuid"]))
    taken_rec, taken_birth, lines = set(), set(), []
    for c in candidates:
        if c["record_id"] in taken_rec or c["uuid"] in taken_birth:
            continue
        taken_rec.add(c["record_id"])
        taken_birth.add(c["uuid"])
        lines.append(c["line"])
    for rec in records:
        if rec.id not in taken_rec:
            lines.append(_omitted_birth(session, imported, rec, codes))
    covered = set(imported.area_ids)
    for b in births:
        if b.person in taken_birth or b.area_id not in covered \
                or not imported.first_date <= b.occurred_on <= imported.last_date:
            continue
        mother = mothers.get(b.other_person, (None, {}))[1]
        lines.append({"status": EXTRA, "register_uuid": b.person, "area_id": b.area_id,
                      "occurred_on": b.occurred_on,
                      "evidence": {"reason": "not_in_outside_list"},
                      "register": {"mother": b.other_person or "",
                                   "mother_name": mother.get("full_name") or "",
                                   "sex": (b.details or {}).get("sex") or "",
                                   "birth_date": b.occurred_on.isoformat(),
                                   "village": codes.get(b.area_id, "")}})
    return lines


def _birth_pair(rec, mother, birth, mothers, codes, offset):
    """The candidate pair's line and score, or None when the mother or the sex differs."""
    d = rec.data
    details = birth.details or {}
    sex = details.get("sex") or ""
    if sex and sex != d["sex"]:
        return None
    evidence = {"birth_date": "same" if offset == 0 else f"{offset:+d} days",
                "sex": "same" if sex else "unknown in register"}
    certificate = (details.get("certificate_no") or "").strip()
    score = 0.0
    if certificate and certificate == d["certificate_no"]:
        evidence["certificate_no"] = "same"
        score += 30.0
    mother_area, mother_data = mothers.get(birth.other_person, (None, None))
    comparison = None
    if mother_data is not None:
        comparison = matching.compare(mother, matching.from_entity(birth.other_person,
                                                                   mother_data))
        evidence["mother"] = comparison.evidence
        evidence["mother_band"] = comparison.band
    agrees = comparison is not None and (comparison.band is not None
                                         or comparison.evidence.get("name") == "same")
    if not agrees and "certificate_no" not in evidence:
        return None
    score += (comparison.score if comparison else 0.0) + (1.0 if sex else 0.0) - abs(offset)
    village = codes.get(birth.area_id, "")
    evidence["village"] = "same" if village == d["village"] else f"register: {village}"
    exact = offset == 0 and bool(sex) and village == d["village"]
    register = {"mother": birth.other_person or "",
                "mother_name": (mother_data or {}).get("full_name") or "",
                "sex": sex, "birth_date": birth.occurred_on.isoformat(), "village": village}
    return {"score": score, "days": offset, "record_key": rec.key, "record_id": rec.id,
            "uuid": birth.person,
            "line": {"status": MATCHED, "record_id": rec.id, "register_uuid": birth.person,
                     "area_id": rec.area_id,
                     # the hospital's date: the month the accuracy counts it in
                     "occurred_on": dt.date.fromisoformat(d["birth_date"]),
                     "exact": exact, "score": score,
                     "band": comparison.band if comparison else None,
                     "evidence": evidence, "register": register}}


def _omitted_birth(session, imported, rec, codes):
    """An unmatched hospital birth, with the mother as the register may know her (the
    matcher over the people of her village): where a worker records the birth."""
    d = rec.data
    mother = matching.Person(key=f"hospital:{rec.key}", name=d["mother_name"],
                             id_number=d.get("mother_id_number") or "", sex="female",
                             village=d["village"])
    people = _people(session, imported.project_id, area_ids=[rec.area_id])
    register = [matching.from_entity(u, data) for u, (_a, data) in sorted(people.items())
                if (data.get("sex") or "female") == "female"]
    _o, best, comparison = next(matching.link([mother], register))
    if best is None:
        # the hospital rarely gives the mother's birth date: one woman of that exact name in
        # her village is still the one a worker looks at first
        named = [(r, c) for r in register for c in [matching.compare(mother, r)]
                 if c.evidence.get("name") == "same"]
        if len(named) == 1:
            best, comparison = named[0]
    evidence = {"reason": "not_in_register"}
    found = {}
    if best is not None:
        evidence["mother_in_register"] = best.key
        evidence["mother"] = comparison.evidence
        evidence["mother_band"] = comparison.band
        found = {"mother": best.key, "mother_name": best.name, "village": d["village"]}
    return {"status": OMITTED, "record_id": rec.id, "area_id": rec.area_id,
            "occurred_on": dt.date.fromisoformat(d["birth_date"]), "evidence": evidence,
            "register": found}


def _registry(session, imported, records, codes):
    """Registry rows against the people of their village (matching.link); a register person
    is taken by one row at most, the best scored first."""
    by_area = defaultdict(list)
    for rec in records:
        by_area[rec.area_id].append(rec)
    lines = []
    for area_id in sorted(by_area):
        people = _people(session, imported.project_id, area_ids=[area_id])
        register = [matching.from_entity(u, data) for u, (_a, data) in sorted(people.items())]
        outside = [matching.Person(key=str(rec.id), name=rec.data["name"],
                                   id_number=rec.data.get("id_number") or "",
                                   sex=rec.data["sex"],
                                   dob=dt.date.fromisoformat(rec.data["dob"]),
                                   village=rec.data["village"])
                   for rec in by_area[area_id]]
        recs = {str(rec.id): rec for rec in by_area[area_id]}
        linked = sorted(matching.link(outside, register),
                        key=lambda t: (-(t[2].score if t[2] else -1e9), t[0].key))
        taken = {}
        for o, best, comparison in linked:
            rec = recs[o.key]
            if best is not None and best.key not in taken:
                taken[best.key] = rec.key
                data = people[best.key][1]
                exact = (best.name == o.name and best.dob == o.dob and best.sex == o.sex)
                lines.append({"status": MATCHED, "record_id": rec.id,
                              "register_uuid": best.key, "area_id": area_id, "exact": exact,
                              "score": comparison.score, "band": comparison.band,
                              "evidence": dict(comparison.evidence),
                              "register": _register_view(data, codes, area_id)})
            else:
                evidence = {"reason": "not_in_register"}
                if best is not None:
                    evidence["best_match_taken_by"] = taken[best.key]
                lines.append({"status": OMITTED, "record_id": rec.id, "area_id": area_id,
                              "evidence": evidence})
        for uuid, (_a, data) in sorted(people.items()):
            if uuid in taken or (data.get("deceased") or "") == "yes" \
                    or (data.get("residence_status") or "") in NOT_IN_REGISTRY:
                continue
            lines.append({"status": EXTRA, "register_uuid": uuid, "area_id": area_id,
                          "evidence": {"reason": "not_in_outside_list"},
                          "register": _register_view(data, codes, area_id)})
    return lines


# ------------------------------------------------------------------------------ reading

def _visible(actor, imported):
    return actor is None or actor.area_ids is None \
        or bool(set(imported.area_ids) & set(actor.area_ids))


def one(session, actor, project_id, import_id):
    """An import the actor may see, else 404.291 (another village's is not found either)."""
    imported = session.get(OutsideImport, import_id) if 0 < import_id < 2 ** 31 else None
    if imported is None or imported.project_id != project_id or not _visible(actor, imported):
        raise Problem("404.291", {"id": import_id})
    return imported


def imports(session, actor, project_id, kind=None, limit=PAGE, before=None):
    """The imports the actor may see, newest first (keyset: ids below `before`)."""
    query = (select(OutsideImport).where(OutsideImport.project_id == project_id)
             .order_by(OutsideImport.id.desc()))
    if kind:
        query = query.where(OutsideImport.kind == kind)
    if before:
        query = query.where(OutsideImport.id < before)
    out = []
    # a supervisor's filter is in Python: area_ids is a JSON list, and imports are few
    for imported in session.scalars(query):
        if _visible(actor, imported):
            out.append(imported)
            if len(out) == limit:
                break
    return out


def audit_read(session, actor, imported):
    """The audit row of reading an import (its bad rows hold people's values)."""
    record(session, actor, "outside.read", f"outside_import:{imported.id}", what="import")


def import_json(imported, actor=None, codes=None):
    """An import as the API and the console show it."""
    areas = imported.area_ids if actor is None or actor.area_ids is None \
        else [a for a in imported.area_ids if a in actor.area_ids]
    return {"id": imported.id, "kind": imported.kind, "filename": imported.filename,
            "sha256": imported.sha256, "size": imported.size, "rowsRead": imported.rows_read,
            "rowsKept": imported.rows_kept, "rowsRejected": imported.rows_rejected,
            "rowsSkipped": imported.rows_skipped,
            # the bad rows hold people's values of any village: shown to town-wide staff and
            # to whoever imported in the same villages
            "rejected": imported.rejected if actor is None or actor.area_ids is None
            or (imported.scope and {int(i) for i in imported.scope.split(",")}
                <= set(actor.area_ids)) else [],
            "villages": [codes.get(a, str(a)) for a in areas] if codes else areas,
            "firstDate": imported.first_date.isoformat() if imported.first_date else None,
            "lastDate": imported.last_date.isoformat() if imported.last_date else None,
            "createdAt": isoformat(imported.created_at),
            "reconciledAt": isoformat(imported.reconciled_at),
            "actor": {"type": imported.actor_type, "id": imported.actor_id}}


def area_codes(session, project_id):
    return dict(session.execute(select(Area.id, Area.code)
                                .where(Area.project_id == project_id)).all())


def area_of(session, project_id, actor, code):
    """The area id of a village code the actor sees, else 404.292."""
    area = session.scalar(select(Area).where(Area.project_id == project_id, Area.code == code))
    if area is None or (actor is not None and not actor.sees_area(area.id)):
        raise Problem("404.292", {"village": code})
    return area.id


def results(session, actor, project_id, import_id, status=None, village=None, after=None,
            limit=PAGE, audited=True):
    """(import, lines, next cursor): the import's results the actor may see, in id order
    after `after`, with each line's outside record. Audited as outside.read (`audited`
    False: the caller writes that row itself, after its reads)."""
    imported = one(session, actor, project_id, import_id)
    query = (select(OutsideResult, OutsideRecord.key, OutsideRecord.data)
             .outerjoin(OutsideRecord, OutsideRecord.id == OutsideResult.record_id)
             .where(OutsideResult.import_id == imported.id).order_by(OutsideResult.id)
             .limit(limit + 1))
    if status:
        query = query.where(OutsideResult.status == status)
    if village:
        query = query.where(OutsideResult.area_id == area_of(session, project_id, actor,
                                                             village))
    elif actor is not None and actor.area_ids is not None:
        query = query.where(OutsideResult.area_id.in_(sorted(actor.area_ids)))
    if after:
        query = query.where(OutsideResult.id > after)
    rows = session.execute(query).all()
    more = rows[limit].OutsideResult.id if len(rows) > limit else None
    rows = rows[:limit]
    codes = area_codes(session, project_id)
    lines = [_line(r.OutsideResult, r.key, r.data, codes) for r in rows]
    if audited:
        record(session, actor, "outside.read", f"outside_import:{imported.id}",
               status=status, village=village, after=after, shown=len(lines))
    return imported, lines, (rows[-1].OutsideResult.id if more else None)


def _line(result, key, data, codes):
    outside = None
    if data is not None:
        outside = dict(data)
        for name in ("mother_id_number", "id_number"):
            if outside.get(name):
                outside[name] = _mask(outside[name])
    return {"id": result.id, "status": result.status, "village": codes.get(result.area_id, ""),
            "key": _mask(key) if key and key == (data or {}).get("id_number") else key,
            "outside": outside, "registerUuid": result.register_uuid,
            "register": result.register, "date": result.occurred_on.isoformat()
            if result.occurred_on else None, "exact": result.exact, "score": result.score,
            "band": result.band, "evidence": result.evidence}


# ------------------------------------------------------------------------------ accuracy

def figures(matched, omitted, extra, exact):
    """REPORTS.md §1.10 from the counts: accuracy = matched ÷ outside records (the plan's
    统计准确率, the headline here as issue 23 defines it), 漏报率, the case-level accuracy
    C ÷ (A + extra) and the net 求实率 1 − |A − R| ÷ A (R: register records = matched +
    extra). Percentages with two decimals; None when there is no outside record."""
    outside = matched + omitted
    if not outside:
        return {"outside": 0, "matched": matched, "omitted": omitted, "extra": extra,
                "exact": exact, "accuracy": None, "omission_rate": None, "case_level": None,
                "net": None}
    reported = matched + extra
    pct = lambda n, d: round(100.0 * n / d, 2) if d else None   # noqa: E731
    return {"outside": outside, "matched": matched, "omitted": omitted, "extra": extra,
            "exact": exact, "accuracy": pct(matched, outside),
            "omission_rate": pct(omitted, outside), "case_level": pct(exact, outside + extra),
            "net": round(100.0 * (1 - abs(outside - reported) / outside), 2)}


def _counts(rows):
    """{area id: [matched, omitted, extra, exact]} from (area, status, exact, n) rows."""
    out = defaultdict(lambda: [0, 0, 0, 0])
    for area_id, status, exact, n in rows:
        c = out[area_id]
        c[STATUSES.index(status)] += n
        if status == MATCHED and exact:
            c[3] += n
    return out


def accuracy(session, actor, project_id, import_id):
    """An import's figures per village the actor sees and in all ({"villages": [{code, …}],
    "all": {…}}), over every date it covers."""
    imported = one(session, actor, project_id, import_id)
    query = (select(OutsideResult.area_id, OutsideResult.status, OutsideResult.exact,
                    func.count()).where(OutsideResult.import_id == imported.id)
             .group_by(OutsideResult.area_id, OutsideResult.status, OutsideResult.exact))
    counts = _counts(session.execute(query).all())
    if actor is not None and actor.area_ids is not None:
        counts = {a: c for a, c in counts.items() if a in actor.area_ids}
    codes = area_codes(session, project_id)
    total = [sum(c[i] for c in counts.values()) for i in range(4)]
    return {"villages": [{"village": codes.get(a, ""), **figures(*c)}
                         for a, c in sorted(counts.items(), key=lambda x: codes.get(x[0], ""))],
            "all": figures(*total)}


def month_accuracy(session, project_id, first, last, area_ids):
    """The statistics accuracy of births in [first, last] (a month) over `area_ids` (None:
    the town): for each village, the latest hospital-births import with outside records of
    that village in the month; summed over the villages. None when no import covers it."""
    R = OutsideResult
    I = OutsideImport
    in_month = and_(R.occurred_on >= first, R.occurred_on <= last)
    latest = (select(R.area_id, func.max(R.import_id))
              .join(I, I.id == R.import_id)
              .where(I.project_id == project_id, I.kind == HOSPITAL, in_month,
                     R.status.in_((MATCHED, OMITTED)))
              .group_by(R.area_id))
    if area_ids is not None:
        latest = latest.where(R.area_id.in_(sorted(area_ids)))
    pairs = session.execute(latest).all()
    if not pairs:
        return None
    rows = session.execute(
        select(R.area_id, R.status, R.exact, func.count())
        .where(in_month, or_(*[and_(R.area_id == a, R.import_id == i) for a, i in pairs]))
        .group_by(R.area_id, R.status, R.exact)).all()
    counts = _counts(rows)
    total = [sum(c[i] for c in counts.values()) for i in range(4)]
    out = figures(*total)
    out["imports"] = sorted({i for _a, i in pairs})
    return out
