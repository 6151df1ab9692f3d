"""What each event's body carries: identifiers, never a submission's answers.

Privacy (the register names women and their pregnancies; the receivers are outside offices
an admin chooses): by default a body says *which* record changed and where, not what it says
about anyone — form id, instanceID, village code, review state; an entity's list, uuid,
version, village and the *names* of the properties that changed. A receiver that needs the
content reads it through the API with an account of its own, so village scope and the audit
log apply to it as to a person. An admin may tick `personalData` on a subscription (a
hospital that must act on a pregnancy the same day): its bodies then also carry entities'
labels and the changed properties' values. Submissions' answers are never in a body.

Each builder returns (data, personal): the body's "data" for every subscriber, and for those
with personalData (None when the event has nothing more to tell them).
"""


def submission(xml_form_id, instance_id, village, review_state, deprecated_id=None):
    data = {"form": xml_form_id, "instanceId": instance_id, "village": village,
            "reviewState": review_state}
    if deprecated_id:
        data["deprecatedId"] = deprecated_id        # an edit: the version it replaces
    return data, None


def entity(dataset_name, uuid, version, village, label=None, changed=None):
    """`changed`: property -> new value (the label under "label" when it changed)."""
    changed = changed or {}
    data = {"list": dataset_name, "uuid": uuid, "version": version, "village": village,
            "changed": sorted(changed)}
    return data, {**data, "label": label, "values": dict(changed)}


def report(month, village, version):
    return {"month": month, "village": village, "version": version}, None
