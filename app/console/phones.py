"""Phones (app users: one field key each) for the console: listed, enrolled, given a new code,
revoked. Plain functions of (session, actor, …) returning plain data.

Scope: an admin manages every phone; a supervisor only phones whose villages are all among
hers (a town-wide phone is the admin's), and she enrols phones for her villages only. A phone
she may not manage is 404, as if it did not exist.

A key is stored hashed (app/auth/secrets.py), so its QR code can be drawn only while the
key is at hand: when the phone is enrolled and when it is given a new code (which revokes
the old key). The web page carries it for a few minutes in a cookie of that browser
(app/web/phones.py); a lost sheet is a new code.
"""
from dataclasses import dataclass
from datetime import timedelta

import segno
from sqlalchemy import exists, func, or_, select

from app.audit.record import record
from app.auth import accounts, provisioning, secrets
from app.auth.app_users import managed, refuse_foreign_villages
from app.auth.models import AppUser, app_user_areas, app_user_forms
from app.db.columns import utcnow
from app.forms.models import Form, FormVersion
from app.problems import Problem
from app.projects.models import Area

PAGE = 25
#: a phone not heard from for this long is a question for its worker
SILENT_AFTER = timedelta(days=7)


@dataclass(frozen=True)
class Phone:
    id: int
    name: str
    villages: list          # [(code, name_zh, name_en)]; [] with all_villages
    all_villages: bool
    forms: list             # [(xml_form_id, title)]; [] with all_forms
    all_forms: bool
    last_seen_at: object
    silent: bool            # not heard from for SILENT_AFTER (or never), and not revoked
    revoked_at: object
    created_at: object


def _serving(area_ids):
    """Phones that serve one of these villages (town-wide phones serve all)."""
    if area_ids is None:
        return True
    return or_(AppUser.all_areas, exists().where(app_user_areas.c.app_user_id == AppUser.id,
                                                 app_user_areas.c.area_id.in_(area_ids)))


#: what a page shows of a phone: plain columns (the ORM object would load its villages and
#: forms one relationship at a time)
_COLUMNS = (AppUser.id, AppUser.display_name, AppUser.all_areas, AppUser.all_forms,
            AppUser.last_seen_at, AppUser.revoked_at, AppUser.created_at)


def phones(session, actor, project_id, area_ids=None, after=None, now=None):
    """A page of the phones she manages serving `area_ids` (None: all), newest first:
    ([Phone], the cursor of the next page or None)."""
    query = (select(*_COLUMNS).where(AppUser.project_id == project_id, managed(actor),
                                     _serving(area_ids))
             .order_by(AppUser.id.desc()).limit(PAGE + 1))
    if after is not None:
        query = query.where(AppUser.id < after)
    found = session.execute(query).all()
    more = len(found) > PAGE
    found = found[:PAGE]
    return _described(session, found, now), (found[-1].id if more else None)


def silent_phones(session, actor, project_id, area_ids=None, now=None):
    """Live phones she manages serving `area_ids`, least recently heard from first (for
    Today): [Phone], at most a page."""
    query = (select(*_COLUMNS).where(AppUser.project_id == project_id, managed(actor),
                                     _serving(area_ids), AppUser.revoked_at.is_(None))
             .order_by(AppUser.last_seen_at.is_not(None), AppUser.last_seen_at, AppUser.id)
             .limit(PAGE))
    return _described(session, session.execute(query).all(), now)


def silent_count(session, actor, project_id, area_ids=None, now=None):
    """How many live phones she manages serving `area_ids` were not heard from for
    SILENT_AFTER (or never)."""
    due = (now or utcnow()) - SILENT_AFTER
    return session.scalar(select(func.count()).select_from(AppUser).where(
        AppUser.project_id == project_id, managed(actor), _serving(area_ids),
        AppUser.revoked_at.is_(None),
        or_(AppUser.last_seen_at.is_(None), AppUser.last_seen_at < due)))


def phone(session, actor, project_id, app_user_id, now=None):
    """One phone she manages, or 404."""
    found = session.execute(select(*_COLUMNS).where(
        AppUser.id == app_user_id, AppUser.project_id == project_id, managed(actor))).first()
    if found is None:
        raise Problem("404.1")
    return _described(session, [found], now)[0]


def _owned(session, actor, project_id, app_user_id):
    found = session.scalar(select(AppUser).where(AppUser.id == app_user_id,
                                                 AppUser.project_id == project_id,
                                                 managed(actor)))
    if found is None:
        raise Problem("404.1")
    return found


def _described(session, found, now=None):
    """Phones as plain data, with their villages and forms read for the page at once."""
    ids = [p.id for p in found]
    villages, forms = {}, {}
    if ids:
        for app_user_id, code, zh, en in session.execute(
                select(app_user_areas.c.app_user_id, Area.code, Area.name_zh, Area.name_en)
                .join(Area, Area.id == app_user_areas.c.area_id)
                .where(app_user_areas.c.app_user_id.in_(ids)).order_by(Area.code)):
            villages.setdefault(app_user_id, []).append((code, zh or code, en or code))
        for app_user_id, xml_form_id, title in session.execute(
                select(app_user_forms.c.app_user_id, Form.xml_form_id, FormVersion.title)
                .join(Form, Form.id == app_user_forms.c.form_id)
                .outerjoin(FormVersion, FormVersion.id == Form.current_version_id)
                .where(app_user_forms.c.app_user_id.in_(ids)).order_by(Form.xml_form_id)):
            forms.setdefault(app_user_id, []).append((xml_form_id, title or xml_form_id))
    now = now or utcnow()
    return [Phone(p.id, p.display_name, villages.get(p.id, []), p.all_areas,
                  forms.get(p.id, []), p.all_forms, p.last_seen_at,
                  p.revoked_at is None and (p.last_seen_at is None
                                            or now - p.last_seen_at >= SILENT_AFTER),
                  p.revoked_at, p.created_at) for p in found]


def choices(session, actor, project_id):
    """What the enrolment form offers: her villages [(code, zh, en)] and the project's forms
    [(xml_form_id, title)]."""
    villages = [(code, zh or code, en or code) for id_, code, zh, en in session.execute(
        select(Area.id, Area.code, Area.name_zh, Area.name_en)
        .where(Area.project_id == project_id).order_by(Area.code)) if actor.sees_area(id_)]
    forms = [(f, t or f) for f, t in session.execute(
        select(Form.xml_form_id, FormVersion.title)
        .outerjoin(FormVersion, FormVersion.id == Form.current_version_id)
        .where(Form.project_id == project_id).order_by(Form.xml_form_id))]
    return villages, forms


#: the checkbox that means every village (app.console.users uses the same)
TOWN = "*"


def enrol(session, actor, project_id, name, village_codes, form_ids):
    """A new phone: (its id, its key). `village_codes` holding TOWN: every village (an
    admin's choice only; a phone gets the lists of all it serves, so it is asked for, never
    the result of ticking nothing); forms None: every form, including later ones. A village
    outside hers is 403."""
    if form_ids is not None and not form_ids:
        raise Problem("400.144")
    codes = set(village_codes)
    town = TOWN in codes
    codes = sorted(codes - {TOWN})
    if town and actor.area_ids is not None:
        raise Problem("403.2")
    if not codes and not town:
        raise Problem("400.145")
    if town:
        codes = []
    if codes:
        refuse_foreign_villages(session, actor, project_id, codes)
    app_user, token = accounts.create_app_user(session, project_id, name.strip(),
                                               codes or None,
                                               sorted(set(form_ids)) if form_ids else None,
                                               actor=actor)
    return app_user.id, token


def new_code(session, actor, project_id, app_user_id):
    """A new key for a live phone (the old one is refused from now on): the new key."""
    found = _owned(session, actor, project_id, app_user_id)
    if found.revoked_at is not None:
        raise Problem("409.142")
    token = secrets.new_token()
    found.token_hash = secrets.token_hash(token)
    record(session, actor, "app_user.update.key", f"app_user:{found.id}")
    return token


def revoke(session, actor, project_id, app_user_id):
    """Refuse the phone's key from now on (its submissions stay). Revoking twice is once."""
    found = _owned(session, actor, project_id, app_user_id)
    if found.revoked_at is None:
        accounts.revoke_app_user(session, found, actor=actor)


def key_matches(session, app_user_id, token):
    """Whether `token` is this live phone's key (a sheet is drawn only for its own key)."""
    return bool(secrets.well_formed_token(token)) and session.scalar(
        select(AppUser.id).where(AppUser.id == app_user_id, AppUser.revoked_at.is_(None),
                                 AppUser.token_hash == secrets.token_hash(token))) is not None


@dataclass(frozen=True)
class Sheet:
    server_url: str
    payload: str
    svg: str
    #: the same key as a link for a phone's browser (app/webforms), for someone without Collect
    web_url: str
    web_svg: str


def sheet(base_url, project_id, project_name, token, title, web_title=None):
    """The enrolment sheet's code: the server URL with the key, and the managed settings QR
    code Collect scans, as inline SVG (exactly what `flask app-users create` draws); and the
    browser forms' link with the same key, and its QR code for a phone's camera (its own
    class, qr-web, so the Collect code stays the one `svg.qr`)."""
    server_url = f"{base_url.rstrip('/')}/v1/key/{token}/projects/{project_id}"
    payload = provisioning.encode(provisioning.collect_settings(server_url, project_name))
    web_url = f"{base_url.rstrip('/')}/-/web/{token}/"
    return Sheet(server_url, payload, _qr(payload, title), web_url,
                 _qr(web_url, web_title or title, "qr-web"))


def _qr(text, title, svgclass="qr"):
    code = segno.make(text, error="l", micro=False)
    svg = code.svg_inline(scale=4, border=4, title=title, svgclass=svgclass, omitsize=True)
    return svg.replace("<svg ", '<svg role="img" ', 1)
