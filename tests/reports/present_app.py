"""The app the report pages' tests (views, browser) run against: the session's own app when
it already serves /reports/ (app/__init__.py registers app.reports.views.bp), else a twin of
it on the same database with the blueprint registered, since Flask takes no blueprint on an
app that has served a request."""
from app import create_app
from app.reports import views

_KEYS = ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "DATA_DIR", "PUBLIC_URL",
         "INSTANCE_DIR", "MAX_CONTENT_LENGTH", "PROJECT_NAME", "PASSWORD_HASH")
_TWINS = {}


def serving_reports(app):
    if views.bp.name in app.blueprints:
        return app
    if id(app) not in _TWINS:
        twin = create_app({k: app.config[k] for k in _KEYS})
        twin.register_blueprint(views.bp)
        _TWINS[id(app)] = twin
    return _TWINS[id(app)]


def bearer(client, username, password):
    response = client.post("/v1/sessions", json={"email": username, "password": password})
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.json['token']}"}
