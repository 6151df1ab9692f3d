"""The register's lists (people, households, pregnancies … : the entity lists of
app/register/models.py) as tables for people: one row per live entity of a list, in the
villages of the person who asks; its label, then each property headed by the label of the
question that saves it (the forms' `entities:saveto`, current versions; choice labels for
select questions), then the village by name, the record's id, when it was made and last
changed, and its version. Written by app/exports/labelled.py as XLSX or CSV for Excel.

Rows are read in batches by keyset on entities.id, each batch in its own short read on a
connection of the generator's own (not the request's session: a streamed body outlives the
request's transaction), so memory and locks do not grow with the list. Plain module, no
Flask.
"""
from sqlalchemy import select

from app.console import review_form
from app.db import transactions
from app.exports.labelled import Column, Table
from app.forms.models import Form, FormVersion
from app.problems import Problem
from app.projects.models import Area
from app.register.models import Dataset, Entity

BATCH = 1000
#: names of the lists as the console shows them (others are shown by their name)
TITLES = {"people": {"zh": "人员", "en": "People"},
          "households": {"zh": "家庭户", "en": "Households"},
          "pregnancies": {"zh": "孕情", "en": "Pregnancies"}}
#: properties holding a village's code (the register's area property)
AREA_PROPERTIES = ("village",)
_E = Entity.__table__


def lists(session, project_id):
    """[(name, titles)] of the project's lists, by name."""
    names = session.scalars(select(Dataset.name).where(Dataset.project_id == project_id)
                            .order_by(Dataset.name)).all()
    return [(n, TITLES.get(n, {"": n})) for n in names]


def dataset(session, project_id, name):
    found = session.scalar(select(Dataset).where(Dataset.project_id == project_id,
                                                 Dataset.name == name))
    if found is None:
        raise Problem("404.1")
    return found


def _questions(session, project_id, name):
    """{property: review_form.Question} of the questions that save to list `name` in the
    current versions of the project's forms (the first form, by id, wins a property)."""
    versions = session.execute(
        select(FormVersion.id, FormVersion.md5, FormVersion.entities)
        .join(Form, Form.current_version_id == FormVersion.id)
        .where(Form.project_id == project_id).order_by(Form.id)).all()
    found = {}
    for version_id, md5, blocks in versions:
        paths = {}
        for block in blocks or []:
            if block.get("dataset") == name:
                for prop, path in (block.get("fields") or {}).items():
                    paths.setdefault(path, prop)
        if not paths:
            continue

        def load(version_id=version_id):
            row = session.execute(select(FormVersion.xml, FormVersion.schema)
                                  .where(FormVersion.id == version_id)).one()
            return row.xml, row.schema
        top = review_form.layout((version_id, md5), load)
        for question in _walk(top):
            prop = paths.get(question.path)
            if prop is not None:
                found.setdefault(prop, question)
        # a property saved by a calculation has no question on screen, hence no label: its
        # type still comes from the form's bind
        nodes = (load()[1] or {}).get("nodes", {}) if set(paths.values()) - set(found) else {}
        for path, prop in paths.items():
            if prop not in found and path in nodes:
                found[prop] = review_form.Question(path, "", nodes[path].get("type", "string"),
                                                   {})
    return found


def _walk(group):
    for child in group.children:
        if isinstance(child, review_form.Group):
            yield from _walk(child)
        else:
            yield child


def _kind(question):
    if question is None:
        return "text"
    if question.control in ("select1", "select") and question.choices:
        return question.control
    return {"int": "int", "integer": "int", "decimal": "decimal", "date": "date",
            "dateTime": "datetime"}.get(question.type, "text")


def table(session, project_id, ds):
    """The labelled Table of list `ds` (a Dataset)."""
    questions = _questions(session, project_id, ds.name)
    areas = session.execute(select(Area.id, Area.code, Area.name_zh, Area.name_en)
                            .where(Area.project_id == project_id)).all()
    villages = {str(r.id): {"zh": r.name_zh or r.code, "en": r.name_en or r.code}
                for r in areas}
    codes = {r.code: villages[str(r.id)] for r in areas}
    props = []
    for prop in ds.properties:
        question = questions.get(prop.name)
        if prop.name in AREA_PROPERTIES and not (question and question.choices):
            # the village's code, as the phones' village list gives it: shown by its name
            props.append(Column(prop.name, question.label if question else {}, "select1",
                                codes))
            continue
        props.append(Column(prop.name, question.label if question else {}, _kind(question),
                            question.choices if question else None))
    columns = (Column("__label", {"zh": "名称", "en": "Label"}),
               *props,
               Column("__village", {"zh": "所属村", "en": "Village"}, "select1", villages),
               Column("__id", {"zh": "记录编号", "en": "Record ID"}),
               Column("__createdAt", {"zh": "建立时间", "en": "Created"}, "datetime"),
               Column("__updatedAt", {"zh": "修改时间", "en": "Updated"}, "datetime"),
               Column("__version", {"zh": "版本", "en": "Version"}, "int"))
    return Table(ds.name, TITLES.get(ds.name, {"": ds.name}), columns)


def rows(engine, ds_id, properties, area_ids, batch=BATCH):
    """The raw values of the list's live entities in `area_ids` (None: every village), in
    the order of `table`'s columns, oldest first; read in batches on a connection of its
    own. `properties`: the list's property names, in the table's order."""
    after = 0
    query = select(_E.c.id, _E.c.label, _E.c.data, _E.c.area_id, _E.c.uuid, _E.c.created_at,
                   _E.c.updated_at, _E.c.version).where(
        _E.c.dataset_id == ds_id, _E.c.deleted_at.is_(None)).order_by(_E.c.id).limit(batch)
    if area_ids is not None:
        query = query.where(_E.c.area_id.in_(sorted(area_ids)))
    while True:
        # a read-only transaction: on SQLite a plain one would wait for the write lock
        with engine.connect().execution_options(**transactions.READ_ONLY) as conn:
            found = conn.execute(query.where(_E.c.id > after)).all()
        for r in found:
            data = r.data or {}
            yield [r.label, *(data.get(p) for p in properties),
                   str(r.area_id) if r.area_id is not None else None, r.uuid, r.created_at,
                   r.updated_at, r.version]
        if len(found) < batch:
            return
        after = found[-1].id


def count(session, ds_id, area_ids):
    """How many rows `rows` gives (for the audit row, read before the body streams)."""
    from sqlalchemy import func   # noqa: PLC0415
    query = select(func.count()).select_from(_E).where(_E.c.dataset_id == ds_id,
                                                       _E.c.deleted_at.is_(None))
    if area_ids is not None:
        query = query.where(_E.c.area_id.in_(sorted(area_ids)))
    return session.scalar(query)
