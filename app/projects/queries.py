"""Which projects (towns) a person may read, for Central's `GET /v1/projects` (app/api/
project_views.py). Web users belong to every project of the server (Actor.project_id None);
village staff see the town they work in, with its records scoped by the other routes."""
from sqlalchemy import select

from app.problems import Problem
from app.projects.models import Project


def readable(session, actor):
    """The projects she may read, by id."""
    return [p for p in session.scalars(select(Project).order_by(Project.id))
            if actor.in_project(p.id)]


def one(session, actor, project_id):
    """The project, or 404.1 when there is none she may read."""
    found = session.get(Project, project_id)
    if found is None or not actor.in_project(found.id):
        raise Problem("404.1")
    return found
