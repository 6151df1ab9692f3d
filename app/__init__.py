"""Doorstep: a field data-collection server that ODK Collect cannot tell from ODK Central.

create_app() only wires: config → extensions → blueprints → error handlers → CLI.
"""
import gc
import os

from flask import Flask
from flask.sessions import SessionInterface
from werkzeug.routing import IntegerConverter

from app import config as settings
from app.db import db, migrate
from app.problems import Problem


class DatabaseInteger(IntegerConverter):
    """<int:…> in a route matches only ids a database integer column can hold: a larger one
    is a 404 like any unknown id, not an overflow in the query (PostgreSQL's integer)."""

    def __init__(self, map, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, **kwargs)


def _nothing_is_named_with_a_nul(_endpoint, values):
    """A path value holding a NUL names nothing (no record's name has one, and PostgreSQL's
    text cannot hold one: its query would fail): 404.1 on every face, before any blueprint
    reads the values."""
    if values and any(isinstance(v, str) and "\x00" in v for v in values.values()):
        raise Problem("404.1")


def create_app(config=None):
    app = Flask(__name__, instance_relative_config=True)
    app.session_interface = _NoCookies()
    app.config.from_mapping(settings.load(app.instance_path, config))
    app.instance_path = os.path.abspath(app.config["INSTANCE_DIR"])
    os.makedirs(app.instance_path, exist_ok=True)
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    _register_models()
    _register_storage(app)
    from app import pipeline
    pipeline.install()
    app.url_map.converters["int"] = DatabaseInteger
    app.url_value_preprocessor(_nothing_is_named_with_a_nul)
    _register_blueprints(app)
    from app import cache_policy, errors, security_headers
    errors.register(app)
    app.after_request(cache_policy.apply)
    app.after_request(security_headers.apply)
    from app import cli
    cli.register(app)
    from app.drain import DrainUnreadBody
    from app.proxy import TrustedProxyFix
    app.wsgi_app = DrainUnreadBody(app.wsgi_app, app.config["MAX_CONTENT_LENGTH"] + (1 << 20))
    app.wsgi_app = TrustedProxyFix(app.wsgi_app, app.config["TRUSTED_PROXIES"])
    from app.register.timer import install as install_backlog_timer
    install_backlog_timer(app)
    from app.webhooks.timer import install as install_webhook_worker
    install_webhook_worker(app)
    # What exists now (modules, SQLAlchemy's mappers and compiled statements, Flask's routes)
    # lives as long as the process, and a full collection of the cyclic garbage collector
    # would walk all of it in the middle of whichever request triggered it (docs/
    # performance.md, "Instructions per submission"). Frozen, it is left out of every
    # collection (each gunicorn worker builds its own app, in wsgi.py).
    gc.freeze()
    return app


class _NoCookies(SessionInterface):
    """Doorstep keeps no state in cookies (phones use tokens, the web UI bearer sessions), so
    Flask's cookie session is never opened: Flask's default builds a signing serializer on
    every request just to find there is no cookie, work no request needs (docs/
    performance-history.md, "CPU per request, and how fast the machine was")."""

    def open_session(self, app, request):
        return None         # Flask then uses its empty, read-only NullSession

    def save_session(self, app, session, response):
        pass


def _register_models():
    # Import every models module so SQLAlchemy and Alembic know all tables.
    from app.audit import models as _audit  # noqa: F401
    from app.auth import models as _auth  # noqa: F401
    from app.events import models as _events  # noqa: F401
    from app.exports import models as _exports  # noqa: F401
    from app.forms import models as _forms  # noqa: F401
    from app.forms import draft_models as _drafts  # noqa: F401
    from app.projects import models as _projects  # noqa: F401
    from app.quality import models as _quality  # noqa: F401
    from app.quality import outside_models as _outside  # noqa: F401
    from app.register import models as _register  # noqa: F401
    from app.reports import models as _reports  # noqa: F401
    from app.storage import models as _storage  # noqa: F401
    from app.submissions import models as _submissions  # noqa: F401
    from app.webhooks import models as _webhooks  # noqa: F401


def _register_storage(app):
    from app.storage import stores
    app.extensions["blob_store"] = stores.from_config(app.config)


def _register_blueprints(app):
    from app.api import register_views  # noqa: F401 - adds the register's routes to the API
    from app.api import webhook_views  # noqa: F401 - and the webhooks' routes
    from app.api import outside_views  # noqa: F401 - and the outside lists' (issue 23)
    from app.api import entity_write_views  # noqa: F401 - and making entity lists
    from app.api import merge_views  # noqa: F401 - and merging duplicates
    from app.api import app_user_views, project_views  # noqa: F401 - projects, app users, roles
    from app.api import duplicate_views  # noqa: F401 - duplicate people
    from app.api import submission_write_views  # noqa: F401 - and submissions written over the API
    from app.api import openapi_views  # noqa: F401 - and the API's own description
    from app.api import draft_views  # noqa: F401 - and the form drafts' routes
    from app.api import omission_views  # noqa: F401 - and the overdue pregnancies
    from app.api.views import bp as api
    from app.openrosa.views import bp as openrosa
    app.register_blueprint(openrosa, url_prefix="/v1/key/<token>/projects/<int:project_id>",
                           name="openrosa_key")
    app.register_blueprint(openrosa, url_prefix="/v1/projects/<int:project_id>")
    app.register_blueprint(openrosa, url_prefix="/", name="openrosa_root")
    from app.openrosa.draft_testing import bp as draft_testing
    app.register_blueprint(draft_testing, url_prefix="/v1/test/<token>/projects/<int:project_id>")
    app.register_blueprint(api, url_prefix="/v1")
    from app.api.odata_views import bp as odata
    app.register_blueprint(odata, url_prefix="/v1")
    from app.api.export_views import bp as exports_api
    app.register_blueprint(exports_api, url_prefix="/v1")
    from app.reports.api import bp as reports_api
    app.register_blueprint(reports_api, url_prefix="/v1")
    from app.reports.views import bp as reports_html
    app.register_blueprint(reports_html)
    from app import web, webforms
    web.register(app)
    webforms.register(app)
