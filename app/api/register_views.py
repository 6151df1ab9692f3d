"""The register in the JSON API, shaped like ODK Central's (checklist 89–92), under
/v1/projects/<id>/datasets: lists and their settings; entities (uuid, conflict,
currentVersion {version, label, data}); versions with diffs; create one, many, or from CSV;
update on baseVersion or force, resolve; delete, restore, in bulk too. Village-scoped, and
every read of a named person's record is audited. Handlers are thin: app.register.service.
"""
from flask import jsonify, redirect, url_for

from app.api import inputs
from app.api.loading import JSON_OR_CSV, takes
from app.api.views import bp
from app.audit.record import record
from app.auth import http as auth
from app.db import db
from app.db.columns import isoformat
from app.problems import Problem
from app.register import entities as changes
from app.register import lists_api, service
from app.register.lists import dataset_named

PERMISSIONS = {"entity.read": "submission.read", "entity.update": "submission.update",
               "dataset.update": "form.update"}


def _actor(project_id, what):
    return auth.require(PERMISSIONS[what], project_id, challenge=False)


def _entity(project_id, name, uuid, what):
    """(actor, the list, one of its entities the actor may see) for a route, or a Problem;
    locked for a route that changes it."""
    actor = _actor(project_id, what)
    dataset = dataset_named(db.session, project_id, name)
    return actor, dataset, service.entity_named(db.session, actor, dataset, uuid,
                                                lock=what != "entity.read")


def _dataset_json(dataset):
    """Central's shape of a listed dataset: without its properties (one list's metadata,
    app.register.lists_api.metadata, has them)."""
    return {"name": dataset.name, "projectId": dataset.project_id,
            "approvalRequired": dataset.approval_required,
            "createdAt": isoformat(dataset.created_at)}


def _entity_json(session, entity, facts, viewer=None):
    """Central's shape; `facts` is service.version_facts()'s entry for the entity. Given the
    actor who views it, the detail: its duplicate candidates that actor may see."""
    current = facts.get("current", {})
    body = {"uuid": entity.uuid, "conflict": entity.conflict,
            "creatorId": facts.get("creatorId"),
            "currentVersion": {**current, "createdAt": isoformat(current.get("createdAt")),
                               "version": entity.version, "label": entity.label,
                               "data": entity.data},
            "createdAt": isoformat(entity.created_at), "updatedAt": isoformat(entity.updated_at),
            "deletedAt": isoformat(entity.deleted_at)}
    if viewer is not None:
        body["duplicateCandidates"] = service.duplicates(session, viewer, entity)
    return body


def _one_entity_json(session, dataset, entity, viewer=None):
    facts = service.version_facts(session, dataset, entity.id).get(entity.id, {})
    return _entity_json(session, entity, facts, viewer)


@bp.get("/projects/<int:project_id>/datasets")
@takes(permission="submission.read")
def list_datasets(project_id):
    _actor(project_id, "entity.read")
    return jsonify([_dataset_json(d) for d in service.datasets(db.session, project_id)])


@bp.get("/projects/<int:project_id>/datasets/<name>")
@takes(permission="submission.read")
def get_dataset(project_id, name):
    _actor(project_id, "entity.read")
    return jsonify(lists_api.metadata(db.session, dataset_named(db.session, project_id, name)))


@bp.patch("/projects/<int:project_id>/datasets/<name>")
@takes(query=inputs.DatasetUpdateQuery, body=inputs.DatasetUpdateBody, permission="form.update")
def update_dataset(project_id, name, query, body):
    actor = _actor(project_id, "dataset.update")
    dataset = dataset_named(db.session, project_id, name)
    if "approvalRequired" in body:
        service.set_approval(db.session, actor, dataset, body["approvalRequired"],
                             query.get("convert"))
    record(db.session, actor, "dataset.update", f"dataset:{dataset.id}", **body)
    result = lists_api.metadata(db.session, dataset)
    db.session.commit()
    return jsonify(result)


@bp.get("/projects/<int:project_id>/datasets/<name>/entities")
@takes(query=inputs.EntityListQuery, permission="submission.read")
def list_entities(project_id, name, query):
    actor = _actor(project_id, "entity.read")
    dataset = dataset_named(db.session, project_id, name)
    found = service.entity_list(db.session, actor, dataset, query["deleted"])
    facts = service.version_facts(db.session, dataset)
    body = [_entity_json(db.session, e, facts.get(e.id, {})) for e in found]
    record(db.session, actor, "entity.list", f"dataset:{dataset.id}", count=len(body))
    db.session.commit()
    return jsonify(body)


@bp.get("/projects/<int:project_id>/datasets/<name>/entities/<uuid>")
@takes(permission="submission.read")
def get_entity(project_id, name, uuid):
    actor, dataset, entity = _entity(project_id, name, uuid, "entity.read")
    if entity.merged_into_id is not None:
        # merged into another (app.quality.merging): 307, not 301/308, as an unmerge may undo
        # it and nothing may cache it; the client asks again for the entity it lives on in
        into = service.merged_into(db.session, entity)
        if not service.visible(actor, into):
            raise Problem("404.1")
        return redirect(url_for("api.get_entity", project_id=project_id, name=name,
                                uuid=into.uuid), 307)
    body = _one_entity_json(db.session, dataset, entity, actor)
    record(db.session, actor, "entity.read", f"entity:{entity.uuid}")
    db.session.commit()
    return jsonify(body)


@bp.get("/projects/<int:project_id>/datasets/<name>/entities/<uuid>/versions")
@takes(query=inputs.EntityVersionsQuery, permission="submission.read")
def entity_versions(project_id, name, uuid, query):
    actor, _dataset, entity = _entity(project_id, name, uuid, "entity.read")
    body = service.versions(db.session, entity)
    for v in body:
        v["createdAt"] = isoformat(v["createdAt"])
    if query["relevantToConflict"]:
        body = [v for v in body if v["conflict"]]
    record(db.session, actor, "entity.read", f"entity:{entity.uuid}", part="versions")
    db.session.commit()
    return jsonify(body)


@bp.post("/projects/<int:project_id>/datasets/<name>/entities")
@takes(body=JSON_OR_CSV(inputs.EntityCreateBody), permission="submission.update")
def create_entities(project_id, name, body):
    actor = _actor(project_id, "entity.update")
    dataset = dataset_named(db.session, project_id, name)
    source = None
    if isinstance(body, str):            # text/csv
        items = service.rows_from_csv(dataset, body)
        bulk, source = True, {"name": "text/csv"}
    else:
        bulk = "entities" in body
        items = body["entities"] if bulk else [body]
        if bulk:
            if "source" not in body:         # Central's rule: a bulk create names its source
                raise Problem("400.253")
            source = body["source"]
    made = service.create_many(db.session, actor, dataset, items, source)
    result = ({"success": True, "count": len(made)} if bulk
              else _one_entity_json(db.session, dataset, made[0], actor))
    db.session.commit()
    return jsonify(result), 200


@bp.patch("/projects/<int:project_id>/datasets/<name>/entities/<uuid>")
@takes(query=inputs.EntityUpdateQuery, body=inputs.EntityUpdateBody,
       permission="submission.update")
def update_entity(project_id, name, uuid, query, body):
    actor, dataset, entity = _entity(project_id, name, uuid, "entity.update")
    if "label" in body and not body["label"].strip():     # Central's rules for a PATCH body
        raise Problem("400.25", {"reason": "label cannot be blank"})
    if not query["resolve"] and "label" not in body and "data" not in body:
        raise Problem("400.25", {"reason": "no entity data or label given"})
    service.change(db.session, actor, dataset, entity, body, query.get("baseVersion"),
                   query["force"], query["resolve"])
    result = _one_entity_json(db.session, dataset, entity, actor)
    db.session.commit()
    return jsonify(result)


@bp.delete("/projects/<int:project_id>/datasets/<name>/entities/<uuid>")
@takes(permission="submission.update")
def delete_entity(project_id, name, uuid):
    actor, _dataset, entity = _entity(project_id, name, uuid, "entity.update")
    service.refuse_merged(db.session, entity)    # merged: changed only by its unmerge
    if entity.deleted_at is not None:    # as Central: a deleted entity is not found again
        raise Problem("404.1")
    changes.delete(db.session, entity, actor)
    db.session.commit()
    return jsonify({"success": True})


@bp.post("/projects/<int:project_id>/datasets/<name>/entities/<uuid>/restore")
@takes(permission="submission.update")
def restore_entity(project_id, name, uuid):
    actor, dataset, entity = _entity(project_id, name, uuid, "entity.update")
    if entity.deleted_at is None:
        raise Problem("404.1")
    changes.restore(db.session, entity, actor)
    result = _one_entity_json(db.session, dataset, entity)
    db.session.commit()
    return jsonify(result)


@bp.post("/projects/<int:project_id>/datasets/<name>/entities/bulk-<action>")
@takes(body=inputs.BulkIdsBody, permission="submission.update")
def bulk_entities(project_id, name, action, body):
    if action not in ("delete", "restore"):
        raise Problem("404.1")
    actor = _actor(project_id, "entity.update")
    dataset = dataset_named(db.session, project_id, name)
    found = [service.entity_named(db.session, actor, dataset, i, lock=True) for i in body["ids"]]
    for entity in found:
        if action == "delete" and entity.deleted_at is None:
            changes.delete(db.session, entity, actor)
        elif action == "restore" and entity.deleted_at is not None:
            changes.restore(db.session, entity, actor)
    db.session.commit()
    return jsonify({"success": True, "count": len(found)})
