"""The console's Exports page and its downloads (CONSOLE.md row 19).

    GET /exports                          the page: per form its downloads (with the filters
                                          ?since=YYYY-MM-DD &until= &state=), the OData
                                          feed's address, the register's lists, the reports
    GET /exports/forms/<id>.xlsx          a form as an XLSX workbook for people (labels,
                                          choice labels, a sheet per repeat)
    GET /exports/forms/<id>.excel.csv     the same as CSV for Excel (a BOM; a zip of a CSV
                                          per table when the form has repeats)
    GET /exports/forms/<id>.csv.zip       Central's CSV zip (without media: the API route
                                          /v1/…/submissions.csv.zip serves those)
    GET /exports/lists/<name>.xlsx        a register list for people
    GET /exports/lists/<name>.excel.csv   the same as CSV for Excel

Who: everyone with submission.read (admin, supervisor, viewer); a village's staff get only
their villages' rows (the downloads are cut to them, the page counts only those). Every
download is one audit row, "submission.export" (form) or "entity.export" (list) with its
format, filters and number of rows, committed before the body streams (the guard commits
when the handler returns; the body reads on connections of its own, app/exports).
"""
from datetime import date, datetime

from flask import current_app, request, url_for
from marshmallow import fields, pre_load, validate

from app.console import exports as domain
from app.db import db
from app.exports import central_csv, labelled
from app.exports.pool import export_engine
from app.openrosa.media import disposition
from app.web import i18n, render
from app.web.blueprint import bp, town
from app.web.months import report_url
from app.web.session import PageQuery, audit, page

DAYS = validate.Range(min=date(2000, 1, 1), max=date(9999, 1, 1))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportQuery(PageQuery):
    since = fields.Date(validate=DAYS)
    until = fields.Date(validate=DAYS)
    state = fields.String(validate=validate.OneOf(domain.STATES))

    @pre_load
    def _blank_is_absent(self, data, **_kw):
        """The page's filter form sends every field, blank when not chosen ("any")."""
        return {k: v for k, v in data.items() if v != ""}


def _filters(query):
    return {k: v.isoformat() if isinstance(v, date) else v
            for k, v in query.items() if k != "lang"}


def download(body, name, mimetype):
    """A file to save (this module's downloads and the county workbook's), never cached."""
    response = current_app.response_class(body, mimetype=mimetype, direct_passthrough=True)
    if mimetype.startswith("text/"):
        response.headers["Content-Type"] = f"{mimetype}; charset=utf-8"
    response.headers["Content-Disposition"] = disposition(name)
    response.headers["Cache-Control"] = "no-store"
    return response


def _stamp():
    return datetime.now(i18n.zone()).strftime("%Y%m%d")


@bp.get("/exports")
@page("submission.read", query=ExportQuery, scope="shared")
def exports(actor, query):
    domain.filter_text(query, i18n.zone())            # a bad range is refused here already
    shown = domain.overview(db.session, actor, town(), datetime.now(i18n.zone()).date())
    args = _filters(query)
    if i18n.current() == "en":
        args["lang"] = "en"
    root = (current_app.config["PUBLIC_URL"].rstrip("/") or request.url_root.rstrip("/"))
    return render.render("console/exports.html", page=shown, query=query, args=args,
                         odata_root=f"{root}/v1/projects/{town()}/forms/",
                         odata_lists=f"{root}/v1/projects/{town()}/datasets/",
                         report_url=report_url, report_xlsx=_report_xlsx)


def _report_xlsx(month, village=None):
    args = {"village": village} if village else {}
    if i18n.current() == "en":
        args["lang"] = "en"
    return url_for("reports_html.download", project=town(), month=month, **args)


def _form(actor, query, xml_form_id, export_format):
    found = domain.form_export(db.session, actor, town(), xml_form_id, query, i18n.zone())
    audit(actor, "submission.export", f"form:{found.form_id}", format=export_format,
          filters=_filters(query), rows=found.rows, route="console")
    return found


@bp.get("/exports/forms/<xml_form_id>.xlsx")
@page("submission.read", query=ExportQuery, scope="shared")
def form_xlsx(actor, query, xml_form_id):
    found = _form(actor, query, xml_form_id, "xlsx")
    layout = domain.layout(found)
    tables = labelled.form_tables(layout, found.titles, found.lookups)
    body = labelled.xlsx(tables, labelled.form_rows(export_engine(current_app, db.engine),
                                                    found.selection, layout),
                         i18n.current(), i18n.zone())
    return download(body, f"{found.xml_form_id}-{_stamp()}.xlsx", XLSX)


@bp.get("/exports/forms/<xml_form_id>.excel.csv")
@page("submission.read", query=ExportQuery, scope="shared")
def form_excel_csv(actor, query, xml_form_id):
    found = _form(actor, query, xml_form_id, "csv-bom")
    layout = domain.layout(found)
    tables = labelled.form_tables(layout, found.titles, found.lookups)
    rows = labelled.form_rows(export_engine(current_app, db.engine), found.selection, layout)
    lang, zone, stem = i18n.current(), i18n.zone(), f"{found.xml_form_id}-{_stamp()}"
    if len(tables) == 1:
        body = labelled.csv_bom(tables[0], (values for _i, values in rows), lang, zone)
        return download(body, f"{stem}.csv", "text/csv")
    names = central_csv.table_names(found.xml_form_id, layout)
    body = labelled.csv_bom_zip(tables, rows, lang, zone, names)
    return download(body, f"{stem}.zip", "application/zip")


@bp.get("/exports/forms/<xml_form_id>.csv.zip")
@page("submission.read", query=ExportQuery, scope="shared")
def form_central_zip(actor, query, xml_form_id):
    found = _form(actor, query, xml_form_id, "csv.zip (no attachments)")
    options = central_csv.Options(group_paths=True, split_select_multiples=False,
                                  deleted_fields=False, attachments=False)
    body = central_csv.submissions_zip(export_engine(current_app, db.engine),
                                       current_app.extensions["blob_store"],
                                       found.selection, found.fields, found.xml_form_id,
                                       options, writer=db.engine)
    return download(body, f"{central_csv.sanitize(found.xml_form_id)}.csv.zip",
                     "application/zip")


def _list(actor, name, export_format):
    found = domain.list_export(db.session, actor, town(), name)
    audit(actor, "entity.export", f"dataset:{found.dataset_id}", format=export_format,
          rows=found.rows, route="console")
    rows = domain.register_tables.rows(export_engine(current_app, db.engine), found.dataset_id,
                                       found.properties,
                                       found.area_ids)
    return found, rows


@bp.get("/exports/lists/<name>.xlsx")
@page("submission.read", scope="shared")
def list_xlsx(actor, name):
    found, rows = _list(actor, name, "xlsx")
    body = labelled.xlsx([found.table], ((0, r) for r in rows), i18n.current(), i18n.zone())
    return download(body, f"{found.name}-{_stamp()}.xlsx", XLSX)


@bp.get("/exports/lists/<name>.excel.csv")
@page("submission.read", scope="shared")
def list_excel_csv(actor, name):
    found, rows = _list(actor, name, "csv-bom")
    body = labelled.csv_bom(found.table, rows, i18n.current(), i18n.zone())
    return download(body, f"{found.name}-{_stamp()}.csv", "text/csv")
