"""Actors (who is asking) and what each may do. Plain data, no Flask.

An Actor is resolved once per request from a token or credentials and then passed explicitly
into domain functions. `area_ids` / `form_ids` of None mean "all of the project's";
`project_ids` of None means every town of the server (an admin), else the towns she works in
(docs/towns.md): an app user's one, a web user's memberships.
"""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import String, bindparam, cast, func, or_, select, update

from app.auth import secrets
from app.auth.models import ApiSession, AppUser, User, app_user_areas, app_user_forms
from app.db.columns import utcnow
from app.db.driver_sql import DriverStatement

PERMISSIONS = {
    "form.list": {"admin", "supervisor", "viewer", "app_user"},
    "form.create": {"admin"},
    "form.update": {"admin"},
    "submission.create": {"admin", "supervisor", "app_user"},
    "submission.read": {"admin", "supervisor", "viewer"},
    "submission.update": {"admin", "supervisor"},
    "submission.delete": {"admin"},
    "user.create": {"admin"},
    "webhook.manage": {"admin"},
    # the web console (app/web): the same Actor and the same table as the API
    "console.view": {"admin", "supervisor", "viewer"},
    "app_user.manage": {"admin", "supervisor"},   # a supervisor only within her villages
    "user.manage": {"admin"},
    "audit.read": {"admin"},
    # Central's projects and roles, read over the API by staff (never by phones)
    "project.read": {"admin", "supervisor", "viewer"},
    "project.create": {"admin"},
    # the county roll-up of the monthly reports over her towns (app/reports/county.py)
    "county.read": {"admin", "supervisor", "viewer"},
}


@dataclass(frozen=True)
class Actor:
    kind: str                 # "user" or "app_user"
    id: int
    name: str
    role: str                 # admin / supervisor / viewer / app_user
    project_id: int | None    # an app user's one project; None for web users (project_ids)
    area_ids: frozenset | None
    form_ids: frozenset | None
    project_ids: frozenset | None = None    # None: every town (admin)

    def can(self, permission):
        return self.role in PERMISSIONS[permission]

    def in_project(self, project_id):
        if self.project_id is not None:
            return self.project_id == project_id
        return self.project_ids is None or project_id in self.project_ids

    def sees_form(self, form_id):
        return self.form_ids is None or form_id in self.form_ids

    def sees_area(self, area_id):
        """Whether the actor's villages include `area_id` (None: a record of no village,
        which only town-wide actors see)."""
        return self.area_ids is None or area_id in self.area_ids


def from_user(user):
    areas = None if user.all_areas or user.role == "admin" else frozenset(a.id for a in user.areas)
    towns = None if user.role == "admin" else frozenset(p.id for p in user.projects)
    return Actor("user", user.id, user.username, user.role, None, areas, None, towns)


_T = AppUser.__table__


def _ids(table, column):
    """The app user's rows of a grant table as one comma-separated string (string_agg on
    PostgreSQL, group_concat on SQLite), or NULL when there are none."""
    return (select(func.aggregate_strings(cast(table.c[column], String), ","))
            .where(table.c.app_user_id == _T.c.id).scalar_subquery())


# Who the token belongs to, with her villages and forms, in one round trip rather than one more
# per grant table: a village worker's phone asks on every request.
_APP_USER = DriverStatement(
    select(_T.c.id, _T.c.project_id, _T.c.display_name, _T.c.all_areas, _T.c.all_forms,
           _T.c.last_seen_at, _ids(app_user_areas, "area_id").label("area_ids"),
           _ids(app_user_forms, "form_id").label("form_ids"))
    .where(_T.c.token_hash == bindparam("h"), _T.c.revoked_at.is_(None)))


def _id_set(joined):
    return frozenset(int(i) for i in joined.split(",")) if joined else frozenset()


#: a phone's last contact (app_users.last_seen_at) is written when it is older than this, so
#: a phone's busy minutes cost one write, not one per request
LAST_SEEN_EVERY = timedelta(minutes=10)


def app_user_by_token(session, token, now=None):
    """The live app user with this token, or None (unknown or revoked). Runs on every phone
    request, so it reads plain columns with a prebuilt statement on the driver (app.db.driver_sql),
    never ORM relationships. Notes the phone's contact when the last note is stale."""
    row = _APP_USER.first(session, {"h": secrets.token_hash(token)})
    if row is None:
        return None
    now = now or utcnow()
    if row.last_seen_at is None or now - row.last_seen_at >= LAST_SEEN_EVERY:
        _note_contact(session, row.id, now)
    return Actor("app_user", row.id, row.display_name, "app_user", row.project_id,
                 None if row.all_areas else _id_set(row.area_ids),
                 None if row.all_forms else _id_set(row.form_ids),
                 frozenset((row.project_id,)))


def _note_contact(session, app_user_id, now):
    """Write the phone's last contact. A request looks its phone up in a read-only phase (on
    SQLite no write lock; on PostgreSQL a transaction it may roll back), so the note takes
    its own short transaction on its own connection, as a Digest nonce's does; only a caller
    already writing on SQLite (holding the write lock a second connection would wait for)
    writes it in its own transaction. The guard keeps two workers from writing it twice."""
    stale = update(_T).where(_T.c.id == app_user_id, or_(
        _T.c.last_seen_at.is_(None), _T.c.last_seen_at <= now - LAST_SEEN_EVERY)) \
        .values(last_seen_at=now)
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.get_execution_options().get(
            "doorstep_read_only"):
        session.execute(stale)
        return
    with session.get_bind().begin() as own:
        own.execute(stale)


def user_by_session_token(session, token, now=None):
    row = session.get(ApiSession, secrets.token_hash(token))
    if row is None or row.expires_at <= (now or utcnow()):
        return None
    user = session.get(User, row.user_id)
    return from_user(user) if user and not user.disabled else None


def area_scope(session, kind, actor_id):
    """The villages a user or app user may change now (None: every village); an unknown
    sender may change none. For work done later on someone's behalf (a held offline update
    released, an approval that merges what she sent)."""
    if kind == "app_user":
        found = session.get(AppUser, actor_id) if actor_id is not None else None
        if found is None:
            return frozenset()
        return None if found.all_areas else frozenset(a.id for a in found.areas)
    found = session.get(User, actor_id) if kind == "user" and actor_id is not None else None
    return from_user(found).area_ids if found is not None else frozenset()
