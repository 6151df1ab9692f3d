"""Village scope of writes, the part intake needs (DESIGN.md §2.6): a sender changes only her
own villages. A scope is a frozenset of area ids, or None for every village (town-level staff,
the system, a rebuild). A submission reaching outside its sender's scope is stored all the
same, with an `outside_villages` issue, and changes nothing until a supervisor of that village
approves it (app.register.scope holds it; app.register.step merges it on approval).
"""
from app.projects.models import Area

ISSUE = "outside_villages"
#: the issue's message, with the village's name in each language
MESSAGE = ("涉及您所辖村以外的村（{village}）：已保存，待该村负责人审核通过后生效",
           "Outside your villages ({village}): kept, and applied only when that village's "
           "supervisor approves it")


def outside(scope, area_id):
    """Whether a change in `area_id` (None: no village) is beyond `scope`."""
    return scope is not None and area_id not in scope


def union(*scopes):
    """The villages any of the scopes may change (None when one of them is every village)."""
    if any(s is None for s in scopes):
        return None
    return frozenset().union(*scopes)


def outside_issue(session, path, area_id, value=None):
    """The issue dict (as validation keeps them) saying that `path` reaches village `area_id`."""
    area = session.get(Area, area_id) if area_id is not None else None
    code = area.code if area is not None else (value or "")
    names = (area.name_zh or code, area.name_en or code) if area is not None else ("无村", "no village")
    return {"path": str(path), "code": ISSUE, "message_zh": MESSAGE[0].format(village=names[0]),
            "message_en": MESSAGE[1].format(village=names[1]), "value": code}
