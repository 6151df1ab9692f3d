"""Who did something, by name: the console's pages show web users by user name and phones by
their display name wherever a row names an actor (a submitter, a reviewer, a version's
author, an audit row)."""
from sqlalchemy import select

from app.auth.models import AppUser, User


def names(session, pairs):
    """{(kind, id): name} for the ("user" | "app_user", id) pairs, two queries at most; an
    unknown id or another kind ("system") is left out."""
    found = {}
    app_ids = {i for k, i in pairs if k == "app_user" and i is not None}
    user_ids = {i for k, i in pairs if k == "user" and i is not None}
    if app_ids:
        found.update({("app_user", r.id): r.display_name for r in session.execute(
            select(AppUser.id, AppUser.display_name).where(AppUser.id.in_(app_ids)))})
    if user_ids:
        found.update({("user", r.id): r.username for r in session.execute(
            select(User.id, User.username).where(User.id.in_(user_ids)))})
    return found
