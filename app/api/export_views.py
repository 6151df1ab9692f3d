"""Central's CSV export routes (registered under /v1): thin handlers that check who asks, write
the audit row, and hand a generator from app.exports.central_csv to a streamed response.

    GET /projects/<p>/forms/<formId>/submissions.csv.zip   root + repeat CSVs (+ media/)
    GET /projects/<p>/forms/<formId>/submissions.csv       the root table only
    GET /projects/<p>/datasets/<name>/entities.csv         a list's entities, Central's admin shape

Who: submission.read (admin, supervisor, viewer) on a form the actor sees; app users (phones)
are refused (403.2). A village-scoped actor exports only her villages' submissions and
entities. Each export is one audit row ("submission.export" / "entity.export", with the
format, the filter and the number of rows), committed before the body streams; the body
reads on a connection of its own (app.exports.reading), never the request's session.
"""
from flask import Blueprint, Response, current_app
from marshmallow import fields

from app.api.loading import QueryBoolean, QuerySchema, takes
from app.audit.record import record
from app.auth import http as auth
from app.db import db
from app.db.transactions import begin_reads, end_reads
from app.exports import central_csv, filters, reading
from app.exports.fields import export_fields
from app.exports.pool import export_engine
from app.forms.models import FormVersion
from app.forms.queries import readable_form
from app.openrosa.media import disposition
from app.register.lists import dataset_named

bp = Blueprint("exports", __name__)


class SubmissionsCsvQuery(QuerySchema):
    """Central's CSV export options (isTrue/isFalse on the query string) and $filter."""
    attachments = QueryBoolean()
    groupPaths = QueryBoolean()
    splitSelectMultiples = QueryBoolean()
    deletedFields = QueryBoolean()
    filter = fields.String(data_key="$filter")


class EntitiesCsvQuery(QuerySchema):
    filter = fields.String(data_key="$filter")


def _options(query, zipped):
    return central_csv.Options(
        group_paths=query.get("groupPaths", True),
        split_select_multiples=query.get("splitSelectMultiples", False),
        deleted_fields=query.get("deletedFields", False),
        attachments=zipped and query.get("attachments", True))


def _selection(form, actor, query):
    parsed = filters.parse(query.get("filter"))
    named = db.session.scalars(db.select(FormVersion.binary_paths)
                               .where(FormVersion.form_id == form.id)).all()
    return reading.Selection(form_id=form.id, area_ids=actor.area_ids, filter=parsed,
                             has_attachments=any(named))


def _export(project_id, xml_form_id, query, zipped):
    actor = auth.require("submission.read", project_id, challenge=False)
    begin_reads(db.session)         # SQLite: no write lock until the audit row
    form, _version = readable_form(db.session, actor, project_id, xml_form_id)
    options = _options(query, zipped)
    selection = _selection(form, actor, query)
    fields_ = export_fields(db.session, form, options.deleted_fields)
    rows = reading.count(db.session.connection(), selection)
    form_id, xml_form_id = form.id, form.xml_form_id    # committing expires the ORM objects
    end_reads(db.session)
    export_format = "csv" if not zipped else ("csv.zip" if options.attachments
                                               else "csv.zip (no attachments)")
    record(db.session, actor, "submission.export", f"form:{form_id}", format=export_format,
           filters=_filters(query), rows=rows)
    db.session.commit()
    engine = export_engine(current_app, db.engine)
    if zipped:
        body = central_csv.submissions_zip(engine, current_app.extensions["blob_store"],
                                           selection, fields_, xml_form_id, options,
                                           writer=db.engine)
        # Central: <formId>.zip with media, <formId>.csv.zip without
        name = f"{central_csv.sanitize(xml_form_id)}{'.zip' if options.attachments else '.csv.zip'}"
        response = Response(body, mimetype="application/zip", direct_passthrough=True)
    else:
        body = central_csv.submissions_csv(engine, selection, fields_, options, writer=db.engine)
        name = f"{central_csv.sanitize(xml_form_id)}.csv"
        response = Response(body, mimetype="text/csv", direct_passthrough=True)
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = disposition(name)
    return response


def _filters(query):
    """What the audit row keeps of the query: every option given, as given."""
    return {k: v for k, v in query.items() if k != "st"}


@bp.get("/projects/<int:project_id>/forms/<path:xml_form_id>/submissions.csv.zip")
@takes(query=SubmissionsCsvQuery, permission="submission.read")
def submissions_csv_zip(project_id, xml_form_id, query):
    return _export(project_id, xml_form_id, query, zipped=True)


@bp.get("/projects/<int:project_id>/forms/<path:xml_form_id>/submissions.csv")
@takes(query=SubmissionsCsvQuery, permission="submission.read")
def submissions_csv(project_id, xml_form_id, query):
    return _export(project_id, xml_form_id, query, zipped=False)


@bp.get("/projects/<int:project_id>/datasets/<name>/entities.csv")
@takes(query=EntitiesCsvQuery, permission="submission.read")
def entities_csv(project_id, name, query):
    actor = auth.require("submission.read", project_id, challenge=False)
    begin_reads(db.session)
    dataset = dataset_named(db.session, project_id, name)
    properties = [p.name for p in dataset.properties]
    dataset_id = dataset.id
    condition = filters.where(query.get("filter"), filters.entity_columns())
    rows = central_csv.entity_count(db.session.connection(), dataset_id, actor.area_ids,
                                    condition)
    end_reads(db.session)
    record(db.session, actor, "entity.export", f"dataset:{dataset_id}", format="csv",
           filters=_filters(query), rows=rows)
    db.session.commit()
    body = central_csv.entities_csv(export_engine(current_app, db.engine), dataset_id,
                                    properties, actor.area_ids, condition)
    response = Response(body, mimetype="text/csv", direct_passthrough=True)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = disposition(f"{central_csv.sanitize(name)}.csv")
    return response
