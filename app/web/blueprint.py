"""The console's one blueprint: every page module adds its routes here, so the URL map holds
them all under the endpoint prefix `console.` (tests/web/test_route_policy.py walks it), and
`town()`, the project (town) the page shows (app/web/towns.py chooses it)."""
from flask import Blueprint, g
from flask_babel import refresh

from app.projects.service import DEFAULT_PROJECT_ID


def town():
    """The project id of the town this console page shows: the one its guard chose for the
    signed-in person (project 1 on the pages nobody need sign in to)."""
    return g.get("console_town", DEFAULT_PROJECT_ID)


bp = Blueprint("console", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets")
# Flask-Babel keeps the locale in `g`, which lives as long as the app context: where one
# context serves several requests (tests, CLI), each must choose its language again.
bp.before_request(refresh)
