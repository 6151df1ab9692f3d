"""Which forms an actor may see, for the form list, downloads and the API. No Flask."""
from sqlalchemy import select

from app.forms.models import Form, FormVersion
from app.problems import Problem


def listed_forms(session, actor, project_id, xml_form_id=None):
    """(form, current version) pairs for the OpenRosa form list: open forms only (closing and
    closed ones vanish from phones), those granted to the actor, ordered by title as Central."""
    query = (select(Form, FormVersion)
             .join(FormVersion, FormVersion.id == Form.current_version_id)
             .where(Form.project_id == project_id, Form.state == "open"))
    if xml_form_id is not None:
        query = query.where(Form.xml_form_id == xml_form_id)
    rows = [(f, v) for f, v in session.execute(query) if actor.sees_form(f.id)]
    return sorted(rows, key=lambda fv: (fv[1].title.lower(), fv[0].xml_form_id))


def readable_form(session, actor, project_id, xml_form_id):
    """(form, current version) an actor may download; app users cannot read closed forms."""
    form = session.scalar(select(Form).where(Form.project_id == project_id,
                                             Form.xml_form_id == xml_form_id))
    if form is None or form.current_version_id is None or not actor.sees_form(form.id):
        raise Problem("404.2", {"form": xml_form_id})
    if form.state == "closed" and actor.kind == "app_user":
        raise Problem("403.2")
    return form, session.get(FormVersion, form.current_version_id)


def fillable_form(session, actor, project_id, xml_form_id):
    """(form, current version) a phone may fill in a browser: given to it and still taking
    submissions (open, or closing: gone from lists, still accepted). Never 403: the browser
    forms take a link page's 403 for a revoked key (app/webforms/static/sw.js)."""
    form = session.scalar(select(Form).where(Form.project_id == project_id,
                                             Form.xml_form_id == xml_form_id))
    if form is None or form.current_version_id is None or not actor.sees_form(form.id):
        raise Problem("404.2", {"form": xml_form_id})
    if form.state == "closed":
        raise Problem("404.171", {"form": xml_form_id})
    return form, session.get(FormVersion, form.current_version_id)


def served_attachment(version, name):
    """The version's media file or entity list called `name`, if it can be served; 404.1
    for an unknown name or a file not uploaded yet."""
    found = next((a for a in version.attachments if a.name == name and a.served), None)
    if found is None:
        raise Problem("404.1")
    return found


def project_forms(session, project_id):
    return list(session.scalars(select(Form).where(Form.project_id == project_id)
                                .order_by(Form.xml_form_id)))
