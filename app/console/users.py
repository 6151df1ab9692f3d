"""Web users (an admin's page) and one's own account, for the console. Plain functions of
(session, actor, …) returning plain data; accounts are made and passwords set by
app/auth/accounts.py, sessions ended by app/auth/web_sessions.py, as for the CLI and API.

A change of role or villages applies from her next request (the console reads her user row
on each one); disabling a user or setting her password ends her sessions at once, and
changing one's own password ends one's other sessions.
"""
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from app.audit.models import AuditEvent
from app.audit.record import record
from app.auth import accounts, secrets, web_sessions
from app.auth.models import ROLES, User, WebSession, user_areas
from app.problems import Problem
from app.projects.models import Area, Project

PAGE = 25
#: the shortest password the console accepts
MIN_PASSWORD = 10
SIGN_IN = "user.web_session.create"


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    role: str
    villages: list          # [(code, name_zh, name_en)]; [] when town-wide
    town_wide: bool
    disabled: bool
    last_sign_in: object
    created_at: object


def users(session, after=None):
    """A page of web users by name: ([Person], the cursor of the next page or None)."""
    query = select(User).order_by(User.username).limit(PAGE + 1)
    if after:
        query = query.where(User.username > after)
    found = list(session.scalars(query))
    more = len(found) > PAGE
    found = found[:PAGE]
    return _described(session, found), (found[-1].username if more else None)


def user(session, user_id):
    found = session.get(User, user_id)
    if found is None:
        raise Problem("404.1")
    return _described(session, [found])[0]


def _described(session, found):
    ids = [u.id for u in found]
    villages, signed = {}, {}
    if ids:
        for user_id, code, zh, en in session.execute(
                select(user_areas.c.user_id, Area.code, Area.name_zh, Area.name_en)
                .join(Area, Area.id == user_areas.c.area_id)
                .where(user_areas.c.user_id.in_(ids)).order_by(Area.code)):
            villages.setdefault(user_id, []).append((code, zh or code, en or code))
        # sign-ins are audited (ix_audit_events_action); sessions end and are deleted
        signed = dict(session.execute(
            select(AuditEvent.actor_id, func.max(AuditEvent.logged_at))
            .where(AuditEvent.action == SIGN_IN, AuditEvent.actor_type == "user",
                   AuditEvent.actor_id.in_(ids)).group_by(AuditEvent.actor_id)).all())
    return [Person(u.id, u.username, u.role, villages.get(u.id, []),
                   u.all_areas or u.role == "admin", u.disabled, signed.get(u.id),
                   u.created_at) for u in found]


def villages_in(session, user_id, project_id):
    """The codes of her villages in town `project_id` (towns share codes: only these are
    hers there)."""
    return list(session.scalars(
        select(Area.code).join(user_areas, user_areas.c.area_id == Area.id)
        .where(user_areas.c.user_id == user_id, Area.project_id == project_id)
        .order_by(Area.code)))


def village_choices(session, project_id):
    return [(code, zh or code, en or code) for code, zh, en in session.execute(
        select(Area.code, Area.name_zh, Area.name_en).where(Area.project_id == project_id)
        .order_by(Area.code))]


def _password(new, again):
    if new != again:
        raise Problem("400.141")
    if len(new) < MIN_PASSWORD:
        raise Problem("400.142", {"min": MIN_PASSWORD})


#: the checkbox that means every village: town-wide access is asked for, never the result of
#: ticking nothing (one slip would open every woman's record to a village's supervisor)
TOWN = "*"


def _codes(role, ticked):
    """The villages to grant ([]: town-wide), or 400.146 when nothing was ticked."""
    ticked = set(ticked)
    if role == "admin" or TOWN in ticked:
        return []
    if not ticked:
        raise Problem("400.146")
    return sorted(ticked)


def create(session, actor, username, role, village_codes, password, again, realm,
           hash_method, project_id=1):
    """A new web user of town `project_id`: her id. `village_codes` holds TOWN for the whole
    town; an admin is always town-wide (and works in every town)."""
    _password(password, again)
    codes = _codes(role, village_codes)
    made = accounts.create_user(session, username.strip(), password, role, realm, codes or None,
                                project_id=project_id, actor=actor, hash_method=hash_method)
    return made.id


def update(session, actor, user_id, role, village_codes, project_id=1):
    """Her role and villages in town `project_id` (TOWN among them, or an admin: town-wide);
    her villages of other towns stay, and she works in this one from now on."""
    found = _other(session, actor, user_id, role != "admin")
    if role not in ROLES:
        raise Problem("400.77", {"value": role, "allowed": ", ".join(ROLES)})
    codes = _codes(role, village_codes)
    _no_wider_elsewhere(found, role, codes, project_id)
    elsewhere = [a for a in found.areas if a.project_id != project_id]
    found.areas = elsewhere + (accounts._areas(session, project_id, codes) if codes else [])
    if role != "admin" and project_id not in {p.id for p in found.projects}:
        found.projects.append(session.get(Project, project_id))
    found.all_areas = not codes
    found.role = role
    record(session, actor, "user.update", f"user:{found.id}", role=role, villages=codes)


def _no_wider_elsewhere(found, role, codes, project_id):
    """A save in one town changes nothing of her other towns: 400.361 when she works in
    others but not this one (a town is given by `flask users grant`, never by a save);
    400.362 when it would change whether she is town-wide, which holds in all her towns."""
    if role == "admin":
        return
    towns = {p.id for p in found.projects}
    if towns and project_id not in towns:
        raise Problem("400.361", {"username": found.username, "project": project_id})
    if towns - {project_id} and found.all_areas != (not codes):
        raise Problem("400.362", {"username": found.username})


def set_disabled(session, actor, user_id, disabled):
    """Disable (her sessions end at once) or enable a user."""
    found = _other(session, actor, user_id, disabled)
    found.disabled = disabled
    if disabled:
        web_sessions.close_all(session, found.id)
    record(session, actor, "user.disable" if disabled else "user.enable", f"user:{found.id}")


def set_password(session, actor, user_id, password, again, realm, hash_method):
    """An admin sets someone's password: her sessions end."""
    found = session.get(User, user_id)
    if found is None:
        raise Problem("404.1")
    _password(password, again)
    accounts.set_password(session, found, password, realm, actor=actor, hash_method=hash_method)
    if found.id != actor.id:
        web_sessions.close_all(session, found.id)
    else:                   # her own: this browser stays signed in, her bearer tokens end
        web_sessions.close_api_sessions(session, found.id)


def _other(session, actor, user_id, guarded):
    """The user to change; `guarded`: a change an admin may not make to herself (locking
    herself out: disabling herself, giving up the admin role)."""
    found = session.get(User, user_id)
    if found is None:
        raise Problem("404.1")
    if guarded and found.id == actor.id:
        raise Problem("409.141")
    return found


@dataclass(frozen=True)
class Session:
    created_at: object
    seen_at: object
    expires_at: object
    this: bool


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    villages: list
    town_wide: bool
    sessions: list          # [Session], newest first


def account(session, actor, token, now=None):
    """Her own account, with her live sessions (`token`: this browser's)."""
    me = user(session, actor.id)
    here = secrets.token_hash(token)
    live = [Session(s.created_at, s.seen_at, s.expires_at, s.token_hash == here)
            for s in web_sessions.live_sessions(session, actor.id, now)]
    return Account(me.username, me.role, me.villages, me.town_wide, live)


def change_own_password(session, actor, token, current, new, again, realm, hash_method):
    """Her password, given her current one; her other sessions end."""
    me = session.get(User, actor.id)
    if not secrets.check_password(me.password_hash, current):
        raise Problem("400.143")
    _password(new, again)
    accounts.set_password(session, me, new, realm, actor=actor, hash_method=hash_method)
    end_other_sessions(session, actor, token)
    web_sessions.close_api_sessions(session, actor.id)


def end_other_sessions(session, actor, token):
    """Sign out every browser of hers but this one."""
    session.execute(delete(WebSession).where(WebSession.user_id == actor.id,
                                             WebSession.token_hash != secrets.token_hash(token)))
    record(session, actor, "user.web_session.end_others", f"user:{actor.id}")
