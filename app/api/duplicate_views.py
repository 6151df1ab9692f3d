"""Duplicate people in the JSON API (issue 23):

    GET  /v1/projects/<id>/datasets/people/duplicates       ?village=&band=&status=&cursor=
    POST /v1/projects/<id>/datasets/people/duplicates/<uuid>/<other>/dismiss   not a duplicate
    POST /v1/projects/<id>/datasets/people/duplicates/<uuid>/<other>/reopen    open again

Reading needs submission.read, deciding submission.update (a supervisor, an admin); a pair
with either person outside the asker's villages is not there for her (404.272). Handlers are
thin: app.quality.duplicates.
"""
from flask import jsonify
from sqlalchemy import select

from app.api.duplicate_inputs import DuplicatesQuery
from app.api.duplicate_schemas import DuplicatePageSchema, DuplicatePairSchema
from app.api.loading import takes
from app.api.views import bp
from app.auth import http as auth
from app.db import db
from app.projects import queries as projects
from app.projects.models import Area
from app.quality import duplicates

DUPLICATES = "/projects/<int:project_id>/datasets/people/duplicates"
_PAGE, _PAIR = DuplicatePageSchema(), DuplicatePairSchema()


def _codes(project_id):
    return dict(db.session.execute(select(Area.id, Area.code)
                                   .where(Area.project_id == project_id)).all())


def _shaped(row, codes):
    for side in ("a", "b"):
        row[side]["village"] = codes.get(row[side].pop("areaId"), "")
    return row


@bp.get(DUPLICATES)
@takes(query=DuplicatesQuery, permission="submission.read")
def list_duplicates(project_id, query):
    actor = auth.require("submission.read", project_id, challenge=False)
    projects.one(db.session, actor, project_id)       # a project that is not there is 404
    codes = _codes(project_id)
    village = None
    if query.get("village"):
        village = next((i for i, c in codes.items() if c == query["village"]), -1)
    rows, cursor = duplicates.listing(
        db.session, actor, project_id, village=village, band=query.get("band"),
        status=query["status"], after=duplicates.read_cursor(query.get("cursor")),
        limit=query["limit"])
    db.session.commit()                               # the read's audit row
    return jsonify(_PAGE.dump({"pairs": [_shaped(r, codes) for r in rows],
                               "next": duplicates.write_cursor(cursor)}))


def _decide(project_id, uuid, other, status):
    actor = auth.require("submission.update", project_id, challenge=False)
    projects.one(db.session, actor, project_id)
    pair = duplicates.decide(db.session, actor, project_id, uuid, other, status)
    db.session.commit()
    row = next(r for r in duplicates.for_entity(db.session, actor, pair.a_uuid)
               if r["b"]["uuid"] == pair.b_uuid)
    return jsonify(_PAIR.dump(_shaped(row, _codes(project_id))))


@bp.post(DUPLICATES + "/<uuid>/<other>/dismiss")
@takes(permission="submission.update")
def dismiss_duplicate(project_id, uuid, other):
    return _decide(project_id, uuid, other, "dismissed")


@bp.post(DUPLICATES + "/<uuid>/<other>/reopen")
@takes(permission="submission.update")
def reopen_duplicate(project_id, uuid, other):
    return _decide(project_id, uuid, other, "open")


