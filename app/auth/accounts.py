"""Creating web users and app users (field keys). Plain functions; the CLI and API call them."""
from sqlalchemy import select

from app.audit.record import record
from app.auth import secrets
from app.auth.models import ROLES, AppUser, User
from app.db.columns import utcnow
from app.forms.models import Form
from app.problems import Problem
from app.projects.models import Project
from app.projects.service import areas_by_code


def _areas(session, project_id, codes):
    found = areas_by_code(session, project_id, codes)
    missing = set(codes) - {a.code for a in found}
    if missing:
        raise Problem("400.76", {"villages": ", ".join(sorted(missing))})
    return found


def create_user(session, username, password, role, realm, area_codes=None, project_id=1,
                actor=None, hash_method="scrypt"):
    """A web user of town `project_id` (an admin: of every town). No areas given: town-wide
    (all villages)."""
    if role not in ROLES:
        raise Problem("400.77", {"value": role, "allowed": ", ".join(ROLES)})
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Problem("409.75", {"username": username})
    user = User(username=username, role=role,
                password_hash=secrets.hash_password(password, hash_method),
                digest_ha1=secrets.digest_ha1(username, realm, password),
                all_areas=not area_codes,
                areas=_areas(session, project_id, area_codes) if area_codes else [],
                projects=[] if role == "admin" else [_project(session, project_id)])
    session.add(user)
    session.flush()
    record(session, actor, "user.create", f"user:{user.id}", username=username, role=role)
    return user


def _project(session, project_id):
    found = session.get(Project, project_id)
    if found is None:
        raise Problem("404.341", {"project": project_id})
    return found


def grant_project(session, user, project_id, area_codes=None, actor=None):
    """Make the web user a member of town `project_id` (county staff work in several), with
    these of its villages when she is village staff; 409.341 when she is one already (or an
    admin, who works in every town)."""
    project = _project(session, project_id)
    if user.role == "admin" or project in user.projects:
        raise Problem("409.341", {"username": user.username, "project": project_id})
    if area_codes and user.all_areas:
        raise Problem("400.341", {"username": user.username})
    user.projects.append(project)
    if area_codes:              # (none: areas_by_code would read it as every village)
        user.areas.extend(_areas(session, project_id, area_codes))
    session.flush()
    record(session, actor, "user.project.grant", f"user:{user.id}", project=project_id,
           villages=",".join(area_codes or []))
    return user


def revoke_project(session, user, project_id, actor=None):
    """Take town `project_id` from the web user, with her villages there (she leaves a town;
    her other towns stay); 400.363 when she does not work there (an admin works in every
    town: take her admin role instead)."""
    project = _project(session, project_id)
    if user.role == "admin" or project not in user.projects:
        raise Problem("400.363", {"username": user.username, "project": project_id})
    user.projects.remove(project)
    user.areas = [a for a in user.areas if a.project_id != project_id]
    session.flush()
    record(session, actor, "user.project.revoke", f"user:{user.id}", project=project_id)
    return user


def set_password(session, user, password, realm, actor=None, hash_method="scrypt"):
    user.password_hash = secrets.hash_password(password, hash_method)
    user.digest_ha1 = secrets.digest_ha1(user.username, realm, password)
    record(session, actor, "user.update.password", f"user:{user.id}")


def create_app_user(session, project_id, name, area_codes=None, form_ids=None, actor=None,
                    every_form=None):
    """A field key. Returns (app_user, token); the token is shown once and stored hashed.

    No areas: every village. No forms: every form of the project, including later ones, unless
    `every_form` is False (Central's app users, made over the API, start with no form).
    """
    token = secrets.new_token()
    forms = []
    if form_ids:
        forms = list(session.scalars(select(Form).where(Form.project_id == project_id,
                                                        Form.xml_form_id.in_(form_ids))))
        missing = set(form_ids) - {f.xml_form_id for f in forms}
        if missing:
            raise Problem("404.2", {"form": ", ".join(sorted(missing))})
    app_user = AppUser(project_id=project_id, display_name=name,
                       token_hash=secrets.token_hash(token), all_areas=not area_codes,
                       all_forms=not form_ids if every_form is None else every_form,
                       forms=forms,
                       areas=_areas(session, project_id, area_codes) if area_codes else [])
    session.add(app_user)
    session.flush()
    record(session, actor, "app_user.create", f"app_user:{app_user.id}", name=name)
    return app_user, token


def revoke_app_user(session, app_user, actor=None):
    app_user.revoked_at = utcnow()
    record(session, actor, "app_user.revoke", f"app_user:{app_user.id}")
