"""The villages a console page covers: all of the person's, or one of them she asked for.
A village outside hers is refused (403), an unknown one is 404: the same answer whether or
not anything of it would have been shown."""
from dataclasses import dataclass

from sqlalchemy import select

from app.problems import Problem
from app.projects.models import Area


@dataclass(frozen=True)
class Villages:
    """ids: the area ids to show (None: every village, for town-wide staff); chosen: the one
    village asked for (an Area) or None; choices: [(code, name_zh, name_en)] she may pick."""
    ids: frozenset | None
    chosen: object
    choices: list


def villages(session, actor, project_id, code=None):
    rows = session.execute(select(Area.id, Area.code, Area.name_zh, Area.name_en)
                           .where(Area.project_id == project_id).order_by(Area.code)).all()
    mine = [r for r in rows if actor.sees_area(r.id)]
    choices = [(r.code, r.name_zh or r.code, r.name_en or r.code) for r in mine]
    if code is None:
        return Villages(actor.area_ids, None, choices)
    found = next((r for r in rows if r.code == code), None)
    if found is None:
        raise Problem("404.1")
    if not actor.sees_area(found.id):
        raise Problem("403.2")
    return Villages(frozenset([found.id]), found, choices)
