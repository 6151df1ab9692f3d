"""Forms granted to app users (the app_user_forms table): ODK Central's `app-user` role on a
form, as its assignments API grants and revokes it. Plain functions of (session, actor, …).

An app user holds the role on a form when the form is granted to it, or when it was enrolled
for every form (Doorstep's CLI default, `all_forms`), which Central has no word for: such a key
is listed as holding every form, granting it one more is 409.231 (it has it), and taking one
away is 409.232 rather than silently ending "every form, including later ones".

Only app users she manages (app/auth/app_users.py) are listed, granted or ungranted; the phone
sees a change on its next request (app/auth/actors.py reads its forms on each one).
"""
from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError

from app.audit.record import record
from app.auth import app_users
from app.auth.models import AppUser, app_user_forms
from app.auth.roles import APP_USER
from app.forms.models import Form
from app.problems import Problem


def _holding(form_id):
    return or_(AppUser.all_forms, exists().where(app_user_forms.c.app_user_id == AppUser.id,
                                                 app_user_forms.c.form_id == form_id))


def holders(session, actor, form):
    """Live app users she manages who hold the app-user role on `form`, oldest first."""
    return list(session.scalars(select(AppUser).where(
        AppUser.project_id == form.project_id, AppUser.revoked_at.is_(None),
        app_users.managed(actor), _holding(form.id)).order_by(AppUser.id)))


def project_grants(session, actor, project_id):
    """(app user id, xmlFormId) for every form of the project held by a live app user she
    manages, in form then app user order (Central's assignments/forms summary)."""
    return session.execute(
        select(AppUser.id, Form.xml_form_id).join(Form, Form.project_id == AppUser.project_id)
        .where(AppUser.project_id == project_id, AppUser.revoked_at.is_(None),
               Form.current_version_id.is_not(None), app_users.managed(actor),
               _holding(Form.id))
        .order_by(Form.xml_form_id, AppUser.id)).all()


def grant(session, actor, form, role, app_user_id):
    """Give the app user `form`; 409.231 when it holds it already."""
    app_user = _assignable(session, actor, form, role, app_user_id)
    if app_user.all_forms or form in app_user.forms:
        raise _held(app_user, form)
    try:
        with session.begin_nested():            # a concurrent grant of the same pair
            app_user.forms.append(form)
            session.flush()
    except IntegrityError:
        raise _held(app_user, form) from None
    record(session, actor, "app_user.assignment.create", f"app_user:{app_user.id}",
           form=form.xml_form_id, role=role.system)


def ungrant(session, actor, form, role, app_user_id):
    """Take `form` away from the app user; 404.1 when it does not hold it by grant."""
    app_user = _assignable(session, actor, form, role, app_user_id)
    if app_user.all_forms:
        raise Problem("409.232", {"id": app_user.id, "form": form.xml_form_id})
    if form not in app_user.forms:
        raise Problem("404.1")
    app_user.forms.remove(form)
    record(session, actor, "app_user.assignment.delete", f"app_user:{app_user.id}",
           form=form.xml_form_id, role=role.system)


def _assignable(session, actor, form, role, app_user_id):
    if role != APP_USER:
        raise Problem("400.231", {"role": role.system})
    return app_users.one(session, actor, form.project_id, app_user_id)


def _held(app_user, form):
    return Problem("409.231", {"id": app_user.id, "form": form.xml_form_id})
