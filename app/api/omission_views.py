"""Omissions over the JSON API: `GET /v1/projects/<id>/overdue-pregnancies?village=&cursor=
&limit=`, the open pregnancies with no outcome four weeks after their expected date, in the
reader's villages (another village is not found), by expected date, a keyset page at a time.
Every read is audited (it names women). Handlers are thin: app.quality.omissions."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import jsonify

from app.api.loading import takes
from app.api.omission_inputs import OverdueQuery
from app.api.omission_schemas import OverduePageSchema
from app.api.views import bp
from app.audit.record import record
from app.auth import http as auth
from app.db import db
from app.projects import queries
from app.quality import omissions


@bp.get("/projects/<int:project_id>/overdue-pregnancies")
@takes(query=OverdueQuery, permission="submission.read")
def overdue_pregnancies(project_id, query):
    actor = auth.require("submission.read", project_id, challenge=False)
    project = queries.one(db.session, actor, project_id)
    # "today" is the town's: a pregnancy turns overdue at its midnight, not UTC's
    today = datetime.now(ZoneInfo(project.time_zone or "Asia/Shanghai")).date()
    area_ids = omissions.village_ids(db.session, actor, project_id, query.get("village"))
    page = omissions.overdue_pregnancies(db.session, project_id, area_ids, today,
                                         query.get("cursor"), query["limit"])
    body = OverduePageSchema().dump({"rows": page.rows, "after": page.after,
                                     "as_of": today.isoformat()})
    record(db.session, actor, "pregnancy.overdue.list", f"project:{project_id}",
           village=query.get("village"), shown=len(page.rows),
           cursor=query.get("cursor"))
    db.session.commit()
    return jsonify(body)
