"""Making entity lists over the API, as Central's: `POST /v1/projects/<id>/datasets` (a list
no form declares) and `POST …/datasets/<name>/properties` (one more property). Both are an
administrator's (dataset.update, as a form's publish is), audited; app.register.lists_api
does the work. Entities themselves are created, changed and deleted in register_views.
"""
from flask import jsonify

from app.api import entity_inputs
from app.api.loading import takes
from app.api.register_views import _actor
from app.api.views import bp
from app.db import db
from app.problems import Problem
from app.projects.models import Project
from app.register import lists_api
from app.register.lists import dataset_named


@bp.post("/projects/<int:project_id>/datasets")
@takes(body=entity_inputs.DatasetCreateBody)
def create_dataset(project_id, body):
    actor = _actor(project_id, "dataset.update")
    _project(project_id)
    dataset = lists_api.create_list(db.session, actor, project_id, body["name"],
                                    body["approvalRequired"])
    result = lists_api.metadata(db.session, dataset)
    db.session.commit()
    return jsonify(result)


@bp.post("/projects/<int:project_id>/datasets/<name>/properties")
@takes(body=entity_inputs.PropertyCreateBody)
def create_property(project_id, name, body):
    actor = _actor(project_id, "dataset.update")
    dataset = dataset_named(db.session, project_id, name)
    lists_api.add_property(db.session, actor, dataset, body["name"])
    db.session.commit()
    return jsonify({"success": True})


def _project(project_id):
    """404.1 for a project that does not exist (an admin may name any number)."""
    if db.session.get(Project, project_id) is None:
        raise Problem("404.1")
