"""Entity lists made and grown over the API, as Central's `POST …/datasets` and
`POST …/datasets/<name>/properties` make them: a list no form declares (yet), properties
added one at a time, and a list's metadata as Central's API shows it (its properties with
when they were published, their OData names and the forms that write them; the forms that
create into it and those that read it).

A list made here is an ordinary row of `datasets`: a form published later that declares it
adds its properties to it, and a rebuild (app.register.rebuild) copies lists and properties
as reference rows and replays the entities made over the API from the journal.
"""
import unicodedata

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.audit.record import record
from app.db.columns import isoformat, utcnow
from app.exports.odata import identifier
from app.problems import Problem
from app.register.datasets import _link_waiting, bump
from app.register.models import Dataset, DatasetProperty

#: the width of the name columns (datasets.name, dataset_properties.name)
MAX_NAME = 255


def _letter(char):
    return unicodedata.category(char).startswith("L")


def _ascii_digit(char):
    return "0" <= char <= "9"


def list_name_problem(name):
    """Why `name` cannot name a list (Central's validateDatasetName: an XML name without
    dots; letters, `:` and `_` first, then digits and `-` too; no `__` prefix), or None."""
    if not name:
        return "it is empty"
    if len(name) > MAX_NAME:
        return f"it is longer than {MAX_NAME} characters"
    if name.startswith("__"):
        return "names starting with __ are reserved"
    if not (_letter(name[0]) or name[0] in ":_"):
        return "it must start with a letter, : or _"
    if not all(_letter(c) or _ascii_digit(c) or c in ":_-" for c in name[1:]):
        return "only letters, digits, :, _ and - may follow"
    return None


def property_name_problem(name):
    """Why `name` cannot name a property (Central's validatePropertyName: as a form field's
    name; letters or `_` first, then digits, `.`, `_` and `-` too; not `name` or `label` in
    any case; no `__` prefix), or None."""
    if not name:
        return "it is empty"
    if len(name) > MAX_NAME:
        return f"it is longer than {MAX_NAME} characters"
    lower = name.lower()
    if lower.startswith("__"):
        return "names starting with __ are reserved"
    if lower in ("name", "label"):
        return f"{name} is reserved"
    if not (_letter(lower[0]) or lower[0] == "_"):
        return "it must start with a letter or _"
    if not all(_letter(c) or _ascii_digit(c) or c in "._-" for c in lower[1:]):
        return "only letters, digits, ., _ and - may follow"
    return None


def create_list(session, actor, project_id, name, approval_required=False):
    """A new list with no properties; 409.16 when one differs only in case, 409.3 when it
    exists. Forms already published that read `<name>.csv` are linked to it."""
    reason = list_name_problem(name)
    if reason:
        raise Problem("400.251", {"what": "entity list", "value": name, "reason": reason})
    existing = session.scalar(select(Dataset.name).where(
        Dataset.project_id == project_id, func.lower(Dataset.name) == name.lower())
        .order_by(Dataset.name != name).limit(1))
    if existing == name:
        raise Problem("409.3", {"name": name}, variant="list")
    if existing is not None:
        raise Problem("409.16", {"name": name, "what": "list", "value": name,
                                 "existing": existing})
    dataset = Dataset(project_id=project_id, name=name, approval_required=approval_required)
    try:
        with session.begin_nested():     # a concurrent create of the same name: 409, not 500
            session.add(dataset)
    except IntegrityError:
        raise Problem("409.3", {"name": name}, variant="list") from None
    _link_waiting(session, dataset)
    record(session, actor, "dataset.create", f"dataset:{dataset.id}", name=name,
           approvalRequired=approval_required)
    return dataset


def add_property(session, actor, dataset, name):
    """Add a property at the end of the list's columns; 409.3 when the list has it already
    (in any case, as Central). Every phone's list hash moves (its columns changed)."""
    reason = property_name_problem(name)
    if reason:
        raise Problem("400.251", {"what": "property", "value": name, "reason": reason})
    clash = next((p.name for p in dataset.properties if p.name.lower() == name.lower()), None)
    if clash is not None:
        raise Problem("409.3", {"list": dataset.name, "name": clash}, variant="property")
    position = max((p.position for p in dataset.properties), default=-1) + 1
    try:
        with session.begin_nested():     # a concurrent add of the same name: 409, not 500
            session.add(DatasetProperty(dataset_id=dataset.id, name=name, position=position,
                                        published_at=utcnow()))
    except IntegrityError:
        raise Problem("409.3", {"list": dataset.name, "name": name},
                      variant="property") from None
    session.expire(dataset, ["properties"])
    bump(session, dataset.id, schema=True)
    record(session, actor, "dataset.update", f"dataset:{dataset.id}", properties=[name])
    return dataset


def _forms(session, project_id):
    """(xmlFormId, title, entity blocks, current version id) of the project's forms."""
    from app.forms.models import Form, FormVersion   # noqa: PLC0415 - forms import the register
    return session.execute(
        select(Form.xml_form_id, FormVersion.title, FormVersion.entities, FormVersion.id)
        .join(FormVersion, FormVersion.id == Form.current_version_id)
        .where(Form.project_id == project_id).order_by(Form.xml_form_id)).all()


def metadata(session, dataset):
    """The list as Central's `GET …/datasets/<name>` shows it."""
    from app.forms.models import FormAttachment   # noqa: PLC0415
    forms = _forms(session, dataset.project_id)
    writers, source = {}, []
    for xml_form_id, title, blocks, _vid in forms:
        mine = [b for b in blocks or [] if b.get("dataset") == dataset.name]
        if mine:
            source.append({"xmlFormId": xml_form_id, "name": title or xml_form_id})
        for block in mine:
            for prop in block.get("properties") or ():
                writers.setdefault(prop, {})[xml_form_id] = title or xml_form_id
    published = dict(session.execute(select(DatasetProperty.id, DatasetProperty.published_at)
                                      .where(DatasetProperty.dataset_id == dataset.id)).all())
    linking = set(session.scalars(select(FormAttachment.form_version_id).where(
        FormAttachment.dataset_id == dataset.id)))
    linked = [{"xmlFormId": x, "name": t or x} for x, t, _b, vid in forms if vid in linking]
    return {"name": dataset.name, "projectId": dataset.project_id,
            "approvalRequired": dataset.approval_required,
            "createdAt": isoformat(dataset.created_at),
            "sourceForms": source, "linkedForms": linked,
            "properties": [{"name": p.name,
                            "publishedAt": isoformat(published.get(p.id) or dataset.created_at),
                            "odataName": identifier(p.name),
                            "forms": [{"xmlFormId": x, "name": t}
                                      for x, t in writers.get(p.name, {}).items()]}
                           for p in dataset.properties]}
