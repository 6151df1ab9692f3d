"""The console's Exports page and its downloads, as plain data and generators (no Flask):
which forms a person may export (with how many submissions of her villages each holds), the
register's lists, the recent months' reports; and for one form or list what a download
reads — the export's layout and a `reading.Selection` cut to her villages and to the
page's filters (submitted from / to, in the town's days; review state).

The documents themselves are app/exports': Central's CSV zip (central_csv), the labelled
XLSX and CSV for Excel (labelled, workbook, register_tables).
"""
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from app.console import months as console_months
from app.console import scope
from app.exports import filters, instances, labelled, reading, register_tables
from app.exports.fields import export_fields
from app.forms.models import Form, FormVersion
from app.forms.queries import readable_form
from app.problems import Problem
from app.projects.models import Area
from app.submissions.models import Submission

#: review states the page filters on ("received": not reviewed yet, stored as null)
STATES = ("received", "hasIssues", "edited", "approved", "rejected")
#: the furthest back a "from" day may be, and the longest text of a filter
FIRST_DAY = dt.date(2000, 1, 1)


@dataclass(frozen=True)
class FormRow:
    xml_form_id: str
    title: str
    state: str
    submissions: int            # in her villages


@dataclass(frozen=True)
class ListRow:
    name: str
    titles: dict
    entities: int               # in her villages


@dataclass(frozen=True)
class ExportsPage:
    forms: list
    lists: list
    months: list                # console_months.MonthRow, newest first
    states: tuple = STATES


def overview(session, actor, project_id, today, months=6):
    """What the page lists for `actor`: her forms, the lists, the last `months` months."""
    found = session.execute(
        select(Form.id, Form.xml_form_id, Form.state, FormVersion.title)
        .join(FormVersion, FormVersion.id == Form.current_version_id)
        .where(Form.project_id == project_id)).all()
    found = [r for r in found if actor.sees_form(r.id)]
    counts = select(Submission.form_id, func.count()).where(
        Submission.form_id.in_([r.id for r in found]), Submission.deleted_at.is_(None))
    if actor.area_ids is not None:
        counts = counts.where(Submission.area_id.in_(sorted(actor.area_ids)))
    counted = dict(session.execute(counts.group_by(Submission.form_id)).all()) if found else {}
    forms = sorted((FormRow(r.xml_form_id, r.title or r.xml_form_id, r.state,
                            counted.get(r.id, 0)) for r in found),
                   key=lambda f: (f.title.lower(), f.xml_form_id))
    lists = []
    for name, titles in register_tables.lists(session, project_id):
        ds = register_tables.dataset(session, project_id, name)
        lists.append(ListRow(name, titles, register_tables.count(session, ds.id,
                                                                  actor.area_ids)))
    recent = console_months.recent_months(session, actor, project_id, today, count=months)
    return ExportsPage(forms, lists, recent.months)


def _local_midnight(day, zone):
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone)


def filter_text(query, zone):
    """The page's filters as Central's OData $filter (app.exports.filters reads it, the CSV
    export takes the same), or None. `since` / `until` are days in the town's time, both
    included; 400.201 when `until` is before `since`."""
    since, until, state = query.get("since"), query.get("until"), query.get("state")
    if since and until and until < since:
        raise Problem("400.201", {"since": since.isoformat(), "until": until.isoformat()})
    terms = []
    if since:
        terms.append(f"__system/submissionDate ge {_local_midnight(since, zone).isoformat()}")
    if until:
        end = _local_midnight(until + dt.timedelta(days=1), zone)
        terms.append(f"__system/submissionDate lt {end.isoformat()}")
    if state:
        terms.append("__system/reviewState eq null" if state == "received"
                     else f"__system/reviewState eq '{state}'")
    return " and ".join(terms) or None


@dataclass(frozen=True)
class FormExport:
    """What a form's download reads: plain values, safe to keep past the request."""
    xml_form_id: str
    form_id: int
    titles: dict
    fields: list
    lookups: dict               # village_labels
    selection: reading.Selection
    filter: str | None
    rows: int


def form_export(session, actor, project_id, xml_form_id, query, zone):
    """The form `actor` may export (404.2 otherwise), and the Selection of its submissions
    in her villages that the page's filters keep."""
    form, version = readable_form(session, actor, project_id, xml_form_id)
    text = filter_text(query, zone)
    named = session.scalars(select(FormVersion.binary_paths)
                            .where(FormVersion.form_id == form.id)).all()
    selection = reading.Selection(form_id=form.id, area_ids=actor.area_ids,
                                  filter=filters.parse(text), has_attachments=any(named))
    fields_ = export_fields(session, form, False)
    rows = reading.count(session.connection(), selection)
    return FormExport(form.xml_form_id, form.id, _titles(version), fields_,
                      village_labels(session, project_id, fields_), selection, text, rows)


def _titles(version):
    return {"": version.title or version.form.xml_form_id} if version else {}


def village_labels(session, project_id, fields_):
    """{field name: {village code: {"zh", "en"}}} for the fields that hold a village's code
    (`village`, `…_village`: the town's forms pick them from the villages' list, which the
    form does not label), so an export shows the village's name."""
    names = {f.name for f in fields_ if f.name == "village" or f.name.endswith("_village")}
    if not names:
        return {}
    villages = {r.code: {"zh": r.name_zh or r.code, "en": r.name_en or r.code}
                for r in session.execute(select(Area.code, Area.name_zh, Area.name_en)
                                         .where(Area.project_id == project_id))}
    return {name: villages for name in names}


def layout(export):
    """The export's Layout as people's tables read it: Central's columns, no split select
    columns (a select_multiple's labels are joined in its one column)."""
    return instances.Layout(export.fields, {}, group_paths=True)


@dataclass(frozen=True)
class ListExport:
    name: str
    dataset_id: int
    properties: list
    table: labelled.Table
    area_ids: frozenset | None
    rows: int


def list_export(session, actor, project_id, name):
    """The list `name` as `actor` may download it (404.1 for an unknown list)."""
    ds = register_tables.dataset(session, project_id, name)
    return ListExport(ds.name, ds.id, [p.name for p in ds.properties],
                      register_tables.table(session, project_id, ds), actor.area_ids,
                      register_tables.count(session, ds.id, actor.area_ids))


def villages(session, actor, project_id):
    return scope.villages(session, actor, project_id)
