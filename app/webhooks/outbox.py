"""The outbox: the one call each change site makes, writing that change's deliveries in the
change's own transaction (they commit or roll back with it, so no event is sent for a change
that did not happen, and none is lost for one that did).

Cost when nobody listens matters (intake runs this on every submission): one SELECT of the
project's active subscriptions (a few rows at most, so no index), on the driver's cursor, the
event matched in Python; no body is built and nothing is written. When someone listens, the body is built once (with a lookup or two,
such as the village's code), and one row per subscription is inserted with its own delivery
id. (A single INSERT … SELECT would need the delivery's uuid and the body made in SQL, which
SQLite and PostgreSQL spell differently; the SELECT costs the same when nobody listens.)

A session whose `info["webhooks"]` is False announces nothing: a migration that brings old
data up to date through today's register code (0010) is history, not news, and runs before
the outbox's tables exist. The register's rebuild replays history through the same code into a scratch database that
holds no subscriptions (app.register.rebuild), so history is never announced twice.
"""
import json
import uuid
from datetime import timedelta

from sqlalchemy import bindparam, insert, select

from app.db.columns import isoformat, utcnow
from app.db.driver_sql import DriverStatement
from app.forms.models import Form
from app.projects.models import Area
from app.register.models import Dataset
from app.submissions.models import Submission, SubmissionDef
from app.webhooks import payloads
from app.webhooks.models import PENDING, WebhookDelivery, WebhookSubscription

GIVE_UP_HOURS = 48          # longer than a day's outage, with room for a weekend's morning

_S, _D = WebhookSubscription.__table__, WebhookDelivery.__table__
# The events are matched here, not in SQL: with a bound LIKE pattern SQLite prepares the
# statement again on every run, which would dominate what a change costs when nobody listens
# (docs/webhooks.md, "What it costs when nobody listens").
_LISTENERS = DriverStatement(
    select(_S.c.id, _S.c.personal_data, _S.c.events)
    .where(_S.c.project_id == bindparam("p"), _S.c.active.is_(True)))


def emit(session, event, project_id, build):
    """Write `event`'s deliveries for the project's active subscribers. `build()` gives
    (data, personal) (app.webhooks.payloads); it runs only when someone listens. Returns the
    number of deliveries written."""
    if session.info.get("webhooks") is False:
        return 0
    listeners = [row for row in _LISTENERS.rows(session, {"p": project_id})
                 if f" {event} " in row.events]
    if not listeners:
        return 0
    data, personal = build()
    now = utcnow()
    rows = []
    for listener in listeners:
        delivery_id = str(uuid.uuid4())
        body = {"id": delivery_id, "event": event, "occurredAt": isoformat(now),
                "project": project_id,
                "data": personal if listener.personal_data and personal is not None else data}
        rows.append({"uuid": delivery_id, "subscription_id": listener.id, "event": event,
                     "body": json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                     "occurred_at": now, "status": PENDING, "attempts": 0,
                     "next_attempt_at": now, "give_up_at": give_up_at(now)})
    session.execute(insert(_D), rows)
    return len(rows)


def give_up_at(now):
    return now + timedelta(hours=GIVE_UP_HOURS)


def _village(session, area_id):
    if area_id is None:
        return None
    return session.scalar(select(Area.code).where(Area.id == area_id))


# The change sites ---------------------------------------------------------------------------

def submission_accepted(session, received):
    """Intake stored a new submission or a new version of one (app.submissions.intake). What
    the body says is read back from what intake wrote, in its transaction, and only when
    someone listens: the hot path passes nothing it would otherwise have to work out."""
    def build():
        found = session.execute(
            select(Form.xml_form_id, Submission.review_state, SubmissionDef.deprecated_id,
                   Area.code)
            .select_from(SubmissionDef)
            .join(Submission, Submission.id == SubmissionDef.submission_id)
            .join(Form, Form.id == Submission.form_id)
            .outerjoin(Area, Area.id == Submission.area_id)
            .where(SubmissionDef.id == received.def_id)).one()
        return payloads.submission(found.xml_form_id, received.instance_id, found.code,
                                   found.review_state, found.deprecated_id)
    return emit(session, "submission.accepted", received.project_id, build)


def submission_reviewed(session, submission):
    """A review state was set (app.submissions.queries.set_review_state)."""
    # the handler has loaded the form (readable_form): get() finds it without a query
    form = session.get(Form, submission.form_id)
    return emit(session, "submission.reviewed", form.project_id, lambda: payloads.submission(
        form.xml_form_id, submission.instance_id, _village(session, submission.area_id),
        submission.review_state))


def entity_created(session, project_id, dataset_name, uuid_, area_id, label, data):
    """An entity was made at version 1 (app.register.entities, by any of its three ways)."""
    return emit(session, "entity.created", project_id, lambda: payloads.entity(
        dataset_name, uuid_, 1, _village(session, area_id), label,
        {**data, **({"label": label} if label else {})}))


def entity_updated(session, entity, dataset, before, received, label):
    """An entity was updated: `before` its properties before, `received` what the change sent
    (a home visit sends every property again: only those whose value changed are named)."""
    def build():
        changed = {k: v for k, v in received.items() if before.get(k) != v}
        if label:
            changed["label"] = label
        return payloads.entity(dataset.name, entity.uuid, entity.version,
                               _village(session, entity.area_id), entity.label, changed)
    if dataset is None:
        dataset = session.get(Dataset, entity.dataset_id)
    return emit(session, "entity.updated", dataset.project_id, build)


def entity_merged(session, entity, dataset):
    """An entity's conflict was resolved: the versions that disagreed are merged into the one
    a supervisor chose (app.register.entities.resolve)."""
    return emit(session, "entity.merged", dataset.project_id, lambda: payloads.entity(
        dataset.name, entity.uuid, entity.version, _village(session, entity.area_id),
        entity.label))


def entities_merged(session, kept, merged_uuid, dataset, received, label):
    """A duplicate was merged into `kept` (app.quality.merging.merge): one event, for the
    entity kept, naming the one merged (`mergedFrom`) and the properties the merge changed."""
    def build():
        data, personal = payloads.entity(dataset.name, kept.uuid, kept.version,
                                         _village(session, kept.area_id), kept.label,
                                         received)
        return {**data, "mergedFrom": merged_uuid}, {**personal, "mergedFrom": merged_uuid}
    return emit(session, "entity.merged", dataset.project_id, build)


def entity_unmerged(session, merged, kept_uuid, dataset):
    """A merge was undone (app.quality.merging.unmerge): `merged` is live again, split from
    `kept_uuid` (whose own change is announced as entity.updated)."""
    def build():
        data, personal = payloads.entity(dataset.name, merged.uuid, merged.version,
                                         _village(session, merged.area_id), merged.label)
        return {**data, "unmergedFrom": kept_uuid}, {**personal, "unmergedFrom": kept_uuid}
    return emit(session, "entity.unmerged", dataset.project_id, build)


def report_locked(session, lock):
    """A month's report was locked for a village or the town (app.reports.locks.store)."""
    from app.reports.locks import TOWN    # noqa: PLC0415 - reports build on submissions
    return emit(session, "report.locked", lock.project_id, lambda: payloads.report(
        lock.month, None if lock.area_id == TOWN else _village(session, lock.area_id),
        lock.version))
