"""Which village a submission belongs to, for scoping who may see it.

The form's answer wins: the first element named `village` whose value is a known area code
(the town's forms all ask for it). Otherwise the submitter's only area, if she has exactly one.
Otherwise none: such a submission is visible only to town-level staff. A submission held
because it reaches outside its sender's villages is filed under the village it waits for
(app.register.scope), so that village's supervisor can review it.
"""
from sqlalchemy import select

from app import safexml
from app.projects.models import Area

AREA_ELEMENT = "village"


def village_answer(instance):
    """The first non-blank `village` element of the instance, or None."""
    for el in instance.root.iter():
        if safexml.local(el.tag) == AREA_ELEMENT and (el.text or "").strip():
            return el
    return None


def area_for(session, project_id, instance, actor):
    el = village_answer(instance)
    if el is not None:
        area_id = session.scalar(select(Area.id).where(
            Area.project_id == project_id, Area.code == el.text.strip()))
        if area_id is not None:
            return area_id
    if actor.area_ids is not None and len(actor.area_ids) == 1:
        return next(iter(actor.area_ids))
    return None
