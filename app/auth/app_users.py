"""App users (field keys) as ODK Central's API manages them: listed, created, revoked. Plain
functions of (session, actor, project_id, …) for the JSON API (app/api/app_user_views.py);
the key itself is made by app/auth/accounts.py, as for `flask app-users create` and the console.

Scope is the console's (app/console/phones.py): town-wide staff manage every phone; a village
supervisor only phones whose villages are all among hers (a town-wide phone is the admin's),
and she enrols phones for her villages only. A phone she may not manage is 404.1, as if it
did not exist.

Central's API differs from the CLI in two ways kept here: an app user starts with no form
(Central's app users get forms by assignment, app/auth/assignments.py), and deleting one
ends it. Doorstep revokes instead, keeping the record for the audit trail and the
submissions, and from then on answers as Central does for a deleted one: not listed, 404.1.
"""
from sqlalchemy import and_, exists, not_, select

from app.auth import accounts
from app.auth.models import AppUser, app_user_areas
from app.problems import Problem
from app.projects.models import Area


def managed(actor):
    """Phones the actor manages: every one for town-wide staff; else those with villages, all
    of them hers (the console's rule)."""
    if actor.area_ids is None:
        return True
    return and_(~AppUser.all_areas,
                exists().where(app_user_areas.c.app_user_id == AppUser.id),
                not_(exists().where(app_user_areas.c.app_user_id == AppUser.id,
                                    app_user_areas.c.area_id.not_in(actor.area_ids))))


def _live(actor, project_id):
    return select(AppUser).where(AppUser.project_id == project_id,
                                 AppUser.revoked_at.is_(None), managed(actor))


def live(session, actor, project_id):
    """The live app users she manages, newest first (Central's order)."""
    return list(session.scalars(_live(actor, project_id)
                                .order_by(AppUser.created_at.desc(), AppUser.id.desc())))


def one(session, actor, project_id, app_user_id):
    """A live app user she manages, or 404.1."""
    found = session.scalar(_live(actor, project_id).where(AppUser.id == app_user_id))
    if found is None:
        raise Problem("404.1")
    return found


def create(session, actor, project_id, name, village_codes=None):
    """A new app user with no form: (app_user, token), the token shown once. `village_codes`
    None: every village, as the CLI does, for town-wide staff; a village supervisor's own
    villages for her. A village outside hers is 403.2, an unknown one 400.76."""
    if actor.area_ids is not None and not actor.area_ids:
        raise Problem("403.2")          # a supervisor of no village enrols no phone
    if village_codes is None:
        codes = None if actor.area_ids is None else _codes(session, project_id, actor.area_ids)
    else:
        codes = sorted(set(village_codes))
        refuse_foreign_villages(session, actor, project_id, codes)
    return accounts.create_app_user(session, project_id, name, codes, actor=actor,
                                    every_form=False)


def refuse_foreign_villages(session, actor, project_id, codes):
    """403.2 when a known village among `codes` is not hers (unknown ones are left to
    accounts.create_app_user's 400.76)."""
    known = dict(session.execute(select(Area.code, Area.id).where(
        Area.project_id == project_id, Area.code.in_(codes))).all())
    if any(code in known and not actor.sees_area(known[code]) for code in codes):
        raise Problem("403.2")


def _codes(session, project_id, area_ids):
    return list(session.scalars(select(Area.code).where(
        Area.project_id == project_id, Area.id.in_(area_ids)).order_by(Area.code)))


def revoke(session, actor, project_id, app_user_id):
    """Refuse the app user's key from now on; its record and submissions stay."""
    accounts.revoke_app_user(session, one(session, actor, project_id, app_user_id), actor=actor)
