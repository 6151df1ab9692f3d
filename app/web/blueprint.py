"""The console's one blueprint: every page module adds its routes here, so the URL map holds
them all under the endpoint prefix `console.` (tests/web/test_route_policy.py walks it)."""
from flask import Blueprint
from flask_babel import refresh

#: the project (town) the console shows: the default one, as the quick start makes it; a
#: server with several towns is the operations issue's work
PROJECT_ID = 1

bp = Blueprint("console", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets")
# Flask-Babel keeps the locale in `g`, which lives as long as the app context: where one
# context serves several requests (tests, CLI), each must choose its language again.
bp.before_request(refresh)
