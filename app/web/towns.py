"""Which town (project) a console page shows, for a person who works in several (county
staff, an admin): `?project=N` on any page picks town N and her session remembers it
(web_sessions.project_id); a page without it shows the remembered town, else her first
(project 1 when she works there, so a one-town server's URLs are as before). Every POST form
of a page carries the page's town in a hidden `project` field, and the POST acts on that
town: another tab may have switched her session meanwhile. A town she does not work in is
404.341, as one that does not exist, so the answer says nothing of it."""
from flask import g, request
from sqlalchemy import select

from app.auth import web_sessions
from app.db import db
from app.problems import Problem
from app.projects.models import Project
from app.projects.service import DEFAULT_PROJECT_ID

#: the query field that picks the town on every page (the page's own schema never sees it)
FIELD = "project"


def readable(session, actor):
    """(id, name) of every town she works in, by id."""
    query = select(Project.id, Project.name).order_by(Project.id)
    if actor.project_ids is not None:
        query = query.where(Project.id.in_(sorted(actor.project_ids)))
    return [tuple(row) for row in session.execute(query)]


def choose(actor, token, remembered, sent=None, required=True):
    """Set the page's town (g.console_town) for the signed-in actor, whose session last
    showed town `remembered` (None: none chosen); raise 404.341 for a town she may not open,
    403.2 when she works in none, unless the page is not about a town (`required` False: her
    own account), which then has none. `sent`: the town a POST form was shown in (its hidden
    `project` field), which the POST acts on without changing her session's choice."""
    if sent is not None:
        chosen = _asked(actor, sent)
        g.console_town = chosen
        return chosen
    asked = request.args.get(FIELD)
    if asked is not None:
        chosen = _asked(actor, asked)
        if chosen != remembered:
            web_sessions.remember_town(db.session, token, chosen)
            db.session.commit()
        else:
            db.session.rollback()   # the lookup's transaction ends: a GET then reads read-only
    elif remembered is not None and actor.in_project(remembered):
        chosen = remembered
    elif not required and actor.project_ids is not None and not actor.project_ids:
        chosen = None
    else:
        chosen = _first(actor)
    g.console_town = chosen
    return chosen


def _asked(actor, value):
    project_id = int(value) if value.isdigit() and len(value) < 10 else None
    if project_id is None or not actor.in_project(project_id) \
            or db.session.get(Project, project_id) is None:
        raise Problem("404.341", {"project": value[:20]})
    return project_id


def _first(actor):
    if actor.in_project(DEFAULT_PROJECT_ID):
        return DEFAULT_PROJECT_ID
    if not actor.project_ids:
        raise Problem("403.2")
    return min(actor.project_ids)
