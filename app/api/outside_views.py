"""Outside lists over the JSON API (issue 23):

    GET  /v1/projects/<id>/outside-imports                 imports she may see, newest first
                                                           (?kind=, ?before=<id> the next page)
    POST /v1/projects/<id>/outside-imports?kind=&filename= a file: the raw body, or multipart
                                                           with a `file` part
    GET  /v1/projects/<id>/outside-imports/<importId>      one import, its bad rows and its
                                                           accuracy per village
    GET  /v1/projects/<id>/outside-imports/<importId>/results
                                    ?status=matched|omitted|extra&village=&after=&limit=
    POST /v1/projects/<id>/outside-imports/<importId>/rerun   its results made again

Reads need submission.read (viewers too), imports and reruns submission.update (supervisors
and admins); a supervisor's are her villages' (app/quality/outside.py). Thin: the domain
module does the work and the audit.
"""
from flask import current_app, jsonify, request

from app.api.loading import BYTES, takes
from app.api.outside_inputs import ImportListQuery, ImportQuery, ResultsQuery
from app.api.views import bp
from app.audit.record import record
from app.auth import http as auth
from app.db import db
from app.problems import Problem
from app.projects import queries as projects
from app.quality import outside
from app.quality.outside_files import KINDS

IMPORTS = "/projects/<int:project_id>/outside-imports"


def _actor(project_id, permission):
    actor = auth.require(permission, project_id, challenge=False)
    projects.one(db.session, actor, project_id)
    return actor


def _upload(query):
    """(filename, bytes) of the request: a multipart `file` part, or the raw body."""
    if (request.mimetype or "") == "multipart/form-data":
        part = request.files.get("file")
        if part is None:
            raise Problem("400.39", {"reason": "no part named file"})
        return query.get("filename") or part.filename or "upload", part.read()
    return query.get("filename") or "upload", request.get_data()


@bp.post(IMPORTS)
@takes(query=ImportQuery, body=BYTES, permission="submission.update")
def create_outside_import(project_id, query):
    actor = _actor(project_id, "submission.update")
    if "kind" not in query:
        raise Problem("400.293", {"kind": "", "allowed": ", ".join(KINDS)})
    filename, data = _upload(query)
    imported, created = outside.import_file(
        db.session, actor, project_id, query["kind"], filename, data,
        current_app.config.get("OUTSIDE_MAX_BYTES", outside.MAX_BYTES))
    codes = outside.area_codes(db.session, project_id)
    result = outside.import_json(imported, actor, codes) | {
        "created": created, "accuracy": outside.accuracy(db.session, actor, project_id,
                                                         imported.id)}
    db.session.commit()
    return jsonify(result), 201 if created else 200


@bp.get(IMPORTS)
@takes(query=ImportListQuery, permission="submission.read")
def list_outside_imports(project_id, query):
    actor = _actor(project_id, "submission.read")
    codes = outside.area_codes(db.session, project_id)
    listed = [outside.import_json(i, actor, codes) for i in outside.imports(
        db.session, actor, project_id, query.get("kind"), before=query.get("before"))]
    for shown in listed:
        if shown["rejected"]:           # bad rows hold people's values: a read as GET one's
            record(db.session, actor, "outside.read", f"outside_import:{shown['id']}",
                   what="list")
    db.session.commit()
    return jsonify(listed)


@bp.get(f"{IMPORTS}/<int:import_id>")
@takes(permission="submission.read")
def get_outside_import(project_id, import_id):
    actor = _actor(project_id, "submission.read")
    imported = outside.one(db.session, actor, project_id, import_id)
    codes = outside.area_codes(db.session, project_id)
    result = outside.import_json(imported, actor, codes) | {
        "accuracy": outside.accuracy(db.session, actor, project_id, import_id)}
    outside.audit_read(db.session, actor, imported)
    db.session.commit()
    return jsonify(result)


@bp.get(f"{IMPORTS}/<int:import_id>/results")
@takes(query=ResultsQuery, permission="submission.read")
def list_outside_results(project_id, import_id, query):
    actor = _actor(project_id, "submission.read")
    _imported, lines, after = outside.results(
        db.session, actor, project_id, import_id, query.get("status"), query.get("village"),
        query.get("after"), query.get("limit", outside.PAGE))
    db.session.commit()
    return jsonify({"results": lines, "next": after})


@bp.post(f"{IMPORTS}/<int:import_id>/rerun")
@takes(permission="submission.update")
def rerun_outside_import(project_id, import_id):
    actor = _actor(project_id, "submission.update")
    imported = outside.rerun(db.session, actor, project_id, import_id)
    result = outside.import_json(imported, actor, outside.area_codes(db.session, project_id))
    result["accuracy"] = outside.accuracy(db.session, actor, project_id, import_id)
    db.session.commit()
    return jsonify(result)
