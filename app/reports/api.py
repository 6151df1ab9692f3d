"""The reports in the JSON API, under /v1/projects/<pid>/reports: a month's report (the
document of app.reports.document), locking and unlocking it, and the year's targets; and
/v1/reports/county/<month>, the county roll-up over her towns (app.reports.county). Thin:
every query string and body goes through a schema below (app.api.loading.takes), the rest is
app.reports.service, which checks who is asking and writes the audit row; the handler
commits."""
import io
import math

from flask import Blueprint, current_app, jsonify
from marshmallow import Schema, ValidationError, fields, validate, validates

from app.api.inputs import Text
from app.api.loading import QuerySchema, takes
from app.auth import http as auth
from app.db import transactions
from app.db import db
from app.problems import Problem
from app.reports import county, service, targets, xlsx

bp = Blueprint("reports_api", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREFIX = "/projects/<int:project_id>/reports"


class Village(Text):
    """A village code (an Area's code: at most 64 characters)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text or len(text) > 64:
            raise ValidationError("不是村代码 / Not a village code.")
        return text


class Number(fields.Field):
    """A JSON number that is finite, or null (clears the target): "12", true, NaN are
    refused, not read as numbers."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            raise ValidationError("应为数字 / Not a number.")
        return value


class ReportQuery(QuerySchema):
    village = Village()


class LockBody(Schema):
    village = Village(allow_none=True)


class UnlockBody(Schema):
    village = Village(allow_none=True)
    reason = Text(required=True, error_messages={
        "required": "解锁须说明原因 / An unlock needs a reason."})

    @validates("reason")
    def _reason(self, value, **kwargs):
        if not value.strip():
            raise ValidationError("解锁须说明原因 / An unlock needs a reason.")


class TargetsQuery(QuerySchema):
    village = Village()


class TargetsBody(Schema):
    village = Village(allow_none=True)
    targets = fields.Dict(keys=Text(), values=Number(allow_none=True), required=True)

    @validates("targets")
    def _known(self, value, **kwargs):
        errors = {}
        for indicator, number in value.items():
            found = targets.problem(indicator, number)
            if found:
                errors[indicator] = [f"{found[0]} / {found[1]}"]
        if errors:
            raise ValidationError(errors)


def _actor(project_id):
    """Who asks (the service checks first that the project exists: 404.1 before anything
    else; an id past a database integer never reaches a route, app.DatabaseInteger)."""
    return auth.resolve(project_id, challenge=False)


@bp.get(f"{PREFIX}/months/<month>")
@takes(query=ReportQuery)
def month_report(project_id, month, query):
    actor = _actor(project_id)
    # built in a read-only transaction (on SQLite no write lock, so phones and reviews go on
    # committing meanwhile); then the audit row alone in a short write transaction, committed
    # before the answer leaves: no report is sent unaudited
    transactions.begin_reads(db.session)
    body, seen = service.read_report(db.session, project_id, month, query.get("village"),
                                     actor)
    transactions.end_reads(db.session)
    service.audit_report(db.session, actor, seen)
    db.session.commit()
    return jsonify(body)


@bp.post(f"{PREFIX}/months/<month>/lock")
@takes(body=LockBody)
def lock_month(project_id, month, body):
    actor = _actor(project_id)
    body = service.lock(db.session, project_id, month, body.get("village"), actor)
    db.session.commit()
    return jsonify(body)


@bp.post(f"{PREFIX}/months/<month>/unlock")
@takes(body=UnlockBody)
def unlock_month(project_id, month, body):
    actor = _actor(project_id)
    ended = service.unlock(db.session, project_id, month, body.get("village"), actor,
                           body["reason"])
    result = {"month": ended.month, "village": body.get("village"), "version": ended.version,
              "state": "open", "unlocked_by": ended.unlocked_by,
              "unlock_reason": ended.unlock_reason}
    db.session.commit()
    return jsonify(result)


@bp.get(f"{PREFIX}/targets/<int:year>")
@takes(query=TargetsQuery)
def get_targets(project_id, year, query):
    actor = _actor(project_id)
    transactions.begin_reads(db.session)          # reads only
    body = service.show_targets(db.session, project_id, year, query.get("village"), actor)
    db.session.rollback()
    return jsonify(body)


@bp.put(f"{PREFIX}/targets/<int:year>")
@takes(body=TargetsBody)
def put_targets(project_id, year, body):
    actor = _actor(project_id)
    result = service.set_targets(db.session, project_id, year, body["targets"],
                                 body.get("village"), actor)
    db.session.commit()
    return jsonify(result)


class CountyQuery(QuerySchema):
    lang = fields.String(validate=validate.OneOf(["zh", "en"]))


@bp.get("/reports/county/<month>.xlsx")
@takes(query=CountyQuery)   # as the JSON: county.read, and town-wide
def county_workbook(month, query):
    actor = auth.require("county.read", challenge=False)
    transactions.begin_reads(db.session)
    found = county.rollup(db.session, actor, month)
    transactions.end_reads(db.session)
    out = io.BytesIO()
    xlsx.write_county(found, *county.summary(found), out, query.get("lang", "zh"))
    county.audit(db.session, actor, found, "report.county.download")
    db.session.commit()
    return current_app.response_class(out.getvalue(), mimetype=XLSX, headers={
        "Content-Disposition": f'attachment; filename="county-{found["month"]}.xlsx"'})


@bp.get("/reports/county/<month>")
@takes()        # county.read, and town-wide: the roll-up refuses village staff (403.341)
def county_report(month):
    actor = auth.require("county.read", challenge=False)
    transactions.begin_reads(db.session)         # as a month's report: no write lock meanwhile
    body = county.rollup(db.session, actor, month)
    transactions.end_reads(db.session)
    county.audit(db.session, actor, body)
    db.session.commit()
    return jsonify(body)
