"""The supervisor's web console: server-rendered pages (Jinja), Chinese by default with
English one click away (Flask-Babel), phone-first, no script required and nothing from
outside Doorstep, so it works on the health centre's LAN with no internet.

Layout: `blueprint.py` holds the one `console` blueprint; `session.py` signs people in and
guards every route (`@page`: who may ask, CSRF on writes, the query and form through a
schema); `render.py` renders pages and errors; `i18n.py` picks the language and formats
dates. Each page module (`login.py`, `dashboard.py`, `review.py`, …) adds its routes to the
blueprint with handlers of a few lines that call one function of `app/console/` (plain
modules, no Flask) and render its result. Register with `app.web.register(app)`.
"""
import glob
import os

PAGES = ("login", "dashboard", "review", "people", "conflicts", "phones", "users", "forms",
         "audit", "account", "months", "preview", "exports", "merging", "reconcile",
         "duplicates", "overdue", "county")


def register(app):
    import importlib

    from app.web import i18n
    from app.web.blueprint import bp
    for name in PAGES:
        try:
            importlib.import_module(f"app.web.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"app.web.{name}":     # a page not written yet; any other is a fault
                raise
    here = os.path.dirname(os.path.abspath(__file__))
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", ";".join(sorted(
        os.path.dirname(os.path.dirname(d))
        for d in glob.glob(os.path.join(here, "translations", "*", "*", "LC_MESSAGES")))))
    i18n.init(app)
    app.register_blueprint(bp)
