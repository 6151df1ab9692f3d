"""Merging a duplicate entity into another, and unmerging it (issue 23), under an entity's
path: `POST …/entities/<A>/merge` {"from": B, "values"?} and `POST …/entities/<B>/unmerge`.
A supervisor of both entities' villages, or an administrator (submission.update); an entity
she may not see is not found. The work is app.quality.merging's."""
from flask import jsonify

from app.api import merge_inputs
from app.api.loading import takes
from app.api.register_views import _actor, _entity, _one_entity_json
from app.api.views import bp
from app.db import db
from app.problems import Problem
from app.quality import merging
from app.register import service
from app.register.lists import dataset_named
from app.register.models import Entity


@bp.post("/projects/<int:project_id>/datasets/<name>/entities/<uuid>/merge")
@takes(body=merge_inputs.MergeBody, permission="submission.update")
def merge_entity(project_id, name, uuid, body):
    actor = _actor(project_id, "entity.update")
    dataset = dataset_named(db.session, project_id, name)
    kept = service.entity_named(db.session, actor, dataset, uuid)
    merged = service.entity_named(db.session, actor, dataset, body["source"])
    service.lock_all(db.session, [kept, merged])
    merging.merge(db.session, actor, dataset, kept, merged, body["values"])
    result = {**_one_entity_json(db.session, dataset, kept, actor), "mergedFrom": merged.uuid}
    db.session.commit()
    return jsonify(result)


@bp.post("/projects/<int:project_id>/datasets/<name>/entities/<uuid>/unmerge")
@takes(permission="submission.update")
def unmerge_entity(project_id, name, uuid):
    actor = _actor(project_id, "entity.update")
    dataset = dataset_named(db.session, project_id, name)
    merged = service.entity_named(db.session, actor, dataset, uuid)
    # B and the entity it was merged into, locked in id order: a merge of that one into a
    # third at the same moment waits (else both succeed and the journal cannot be replayed)
    row = merging.live_merge(db.session, merged.id) if merged.merged_into_id else None
    if row is not None:
        service.lock_all(db.session, [merged, db.session.get(Entity, row.kept_id)])
    into = service.merged_into(db.session, merged)
    if into is not None and not service.visible(actor, into):
        raise Problem("404.1")        # the entity kept is another village's: as if not there
    row = merging.unmerge(db.session, actor, dataset, merged)
    result = {**_one_entity_json(db.session, dataset, merged, actor),
              "unmergedFrom": row.kept.uuid}
    db.session.commit()
    return jsonify(result)
