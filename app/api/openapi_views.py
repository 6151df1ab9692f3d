"""GET /v1/openapi.json: the JSON API's OpenAPI description (app/api/openapi.py). Public, as
ODK Central's API documentation is: it names routes and fields, never a record."""
from flask import current_app, jsonify, request

from app.api import openapi
from app.api.loading import takes
from app.api.views import bp


@bp.get("/openapi.json")
@takes(anonymous=True)
def openapi_document():
    # the paths start at /v1; behind a proxy serving Doorstep under a sub-path, that prefix
    # (the request's script root, app/proxy.py) is where they are
    return jsonify({**openapi.document(current_app),
                    "servers": [{"url": request.script_root or "/"}]})
