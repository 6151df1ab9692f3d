"""The audit log as the console shows it: newest first, 25 at a time (keyset on (logged_at,
id), index ix_audit_events_time and its target / actor / action siblings), filtered by who,
village, target, action and dates. No Flask.

Audit rows carry no village. The village filter resolves a row's target to the village it
belongs to now: a submission (`submission:<id>`) to the village it was sent for, a register
record (`entity:<uuid>`, a person or household) to its village, a report
(`report:<month>:<code>`) to its own; rows about anything else (forms, accounts, sign-ins,
lists downloaded by a phone) belong to no village and never match it.
"""
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import Integer, and_, case, cast, exists, func, or_, select, tuple_

from app.audit.models import AuditEvent
from app.auth.models import AppUser, User
from app.console.actors import names as actor_names
from app.forms.models import Form
from app.console import scope
from app.problems import Problem
from app.register.models import Dataset, Entity
from app.submissions.models import Submission

PAGE = 25
_A = AuditEvent.__table__
_ACTOR = re.compile(r"^(user|app_user):(\d{1,9})$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_CURSOR = re.compile(r"^(\d{20})-(\d{1,12})$")
_STAMP = "%Y%m%d%H%M%S%f"


@dataclass(frozen=True)
class Row:
    id: int
    logged_at: datetime
    actor: str                 # "user:3", "app_user:5" or "system"
    actor_name: str
    action: str
    target: str
    #: what the target names, for a link: ("person"|"household", uuid), ("submission", id),
    #: ("form", xml_form_id), ("report", (month, village code or "town")), ("app_user", id),
    #: ("user", id); None when it is nothing the console shows
    link: tuple | None
    details: dict


@dataclass(frozen=True)
class Page:
    rows: list
    after: str | None          # the cursor of the next page (None: this is the last)
    actors: list = field(default_factory=list)     # [(value, name)] for the actor filter
    villages: list = field(default_factory=list)   # [(code, name_zh, name_en)]


def target_of(text):
    """What a person types in the target box, as stored: a UUID is a register record, a
    number a submission; anything else is taken as written (`form:7`, `report:2026-05:town`)."""
    text = (text or "").strip()
    if _UUID.match(text):
        return f"entity:{text.lower()}"
    if text.isdigit():
        return f"submission:{text}"
    return text


def cursor(row):
    return f"{row.logged_at.strftime(_STAMP)}-{row.id}"


def _after(value):
    found = _CURSOR.match(value or "")
    if found is None:
        raise Problem("400.79", {"summary": "query: after", "fields": "after"})
    return datetime.strptime(found.group(1), _STAMP), int(found.group(2))


def _utc(day, zone):
    """The start of a town-time day as a stored (naive UTC) datetime."""
    return datetime.combine(day, time(), zone).astimezone(timezone.utc).replace(tzinfo=None)


def _in_village(area):
    """Rows whose target belongs to this village now (see the module's docstring)."""
    t = _A.c.target
    submission_id = case((t.like("submission:%"), cast(func.substr(t, 12), Integer)))
    return or_(
        and_(t.like("submission:%"), exists().where(Submission.id == submission_id,
                                                    Submission.area_id == area.id)),
        and_(t.like("entity:%"), exists().where(Entity.uuid == func.substr(t, 8),
                                                Entity.area_id == area.id)),
        t.like(f"report:%:{area.code}"))


def _query(who, area, target, action, since, until, after, zone):
    query = select(_A).order_by(_A.c.logged_at.desc(), _A.c.id.desc()).limit(PAGE + 1)
    if who == "system":
        query = query.where(_A.c.actor_type == "system")
    elif who:
        found = _ACTOR.match(who)
        if found is None:
            raise Problem("400.79", {"summary": "query: actor", "fields": "actor"})
        query = query.where(_A.c.actor_type == found.group(1),
                            _A.c.actor_id == int(found.group(2)))
    if target:
        query = query.where(_A.c.target == target_of(target))
    if action:
        query = query.where(_A.c.action == action)
    if since:
        query = query.where(_A.c.logged_at >= _utc(since, zone))
    if until:
        query = query.where(_A.c.logged_at < _utc(until + timedelta(days=1), zone))
    if after:
        query = query.where(tuple_(_A.c.logged_at, _A.c.id) < tuple_(*_after(after)))
    if area is not None:
        query = query.where(_in_village(area))
    return query


def _names(session, rows):
    """{"user:1": name, "app_user:2": name} of the rows' actors."""
    pairs = {(r.actor_type, r.actor_id) for r in rows}
    return {f"{kind}:{i}": n for (kind, i), n in actor_names(session, pairs).items()}


def _links(session, rows):
    """{target: link} for the page's targets, in two lookups (entities' lists, forms' ids)."""
    links, uuids, form_ids = {}, set(), set()
    for r in rows:
        kind, _, key = r.target.partition(":")
        if kind == "entity":
            uuids.add(key)
        elif kind == "form" and key.isdigit():
            form_ids.add(int(key))
        elif kind in ("submission", "app_user", "user") and key.isdigit():
            links[r.target] = (kind, int(key))
        elif kind == "report" and key.count(":") == 1:
            links[r.target] = ("report", tuple(key.split(":")))
    if uuids:
        kinds = {"people": "person", "households": "household"}
        for uuid, name in session.execute(select(Entity.uuid, Dataset.name)
                                          .join(Dataset, Dataset.id == Entity.dataset_id)
                                          .where(Entity.uuid.in_(uuids))):
            if name in kinds:
                links[f"entity:{uuid}"] = (kinds[name], uuid)
    if form_ids:
        for form_id, xml_form_id in session.execute(select(Form.id, Form.xml_form_id)
                                                    .where(Form.id.in_(form_ids))):
            links[f"form:{form_id}"] = ("form", xml_form_id)
    return links


def actor_choices(session, project_id):
    """[(value, name)] of every web user and phone, for the actor filter (a town's staff and
    phones: tens, not thousands)."""
    users = session.execute(select(User.id, User.username).order_by(User.username))
    phones = session.execute(select(AppUser.id, AppUser.display_name)
                             .where(AppUser.project_id == project_id)
                             .order_by(AppUser.display_name, AppUser.id))
    return ([(f"user:{i}", n) for i, n in users]
            + [(f"app_user:{i}", n) for i, n in phones] + [("system", None)])


def audit_log(session, actor, project_id, zone, who=None, village=None, target=None,
              action=None, since=None, until=None, after=None):
    """One page of the log, newest first, and the choices of its filters. `village` is a
    village code (app.console.scope: 404 for an unknown one); `since` / `until` are dates in
    the town's time (`zone`), both included; `after` a cursor from the previous Page."""
    villages = scope.villages(session, actor, project_id, village)
    rows = session.execute(_query(who, villages.chosen, target, action, since, until, after,
                                  zone)).all()
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    names, links = _names(session, rows), _links(session, rows)
    found = []
    for r in rows:
        key = f"{r.actor_type}:{r.actor_id}" if r.actor_type != "system" else "system"
        found.append(Row(r.id, r.logged_at, key, names.get(key, ""), r.action, r.target,
                         links.get(r.target), dict(r.details or {})))
    return Page(found, cursor(rows[-1]) if more else None,
                actor_choices(session, project_id), villages.choices)
