"""Helpers of the report pages' tests (views, browser)."""
from app.reports import views


def serving_reports(app):
    """The app, which serves /reports/ (app/__init__.py registers app.reports.views.bp)."""
    assert views.bp.name in app.blueprints
    return app


def bearer(client, username, password):
    response = client.post("/v1/sessions", json={"email": username, "password": password})
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.json['token']}"}
