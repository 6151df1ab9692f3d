"""Rendering failures: one writer per wire format.

OpenRosa endpoints answer with an OpenRosaResponse whose single message carries both languages
(Collect shows only the first <message>); everything else answers with Central's JSON shape
{"code", "message", "details"} plus "message_zh", the code a string ("409.3": no float to
round "409.20" into "409.2"; a client comparing it as a number still reads the same code, see
app/problems.py). Unexpected exceptions become 500.1 and are
logged, never shown.
"""
import logging

from flask import current_app, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from app.openrosa import documents, protocol
from app.problems import Problem

log = logging.getLogger(__name__)

_HTTP_TO_CODE = {404: "404.1", 405: "404.1", 401: "401.2", 403: "403.2"}


def register(app):
    app.register_error_handler(Problem, render)
    app.register_error_handler(RequestEntityTooLarge, lambda e: render(
        Problem("413.1", {"limit": app.config["MAX_CONTENT_LENGTH"]})))
    app.register_error_handler(HTTPException, _http_exception)
    app.register_error_handler(Exception, _unexpected)


def _is_openrosa():
    return (request.blueprint or "").startswith("openrosa") or request.path.endswith(
        ("/formList", "/submission"))


def render(problem):
    if _is_openrosa():
        body = documents.openrosa_response(problem.bilingual(protocol.english_first()), "error")
        response = protocol.add_headers(
            _response(body, problem.status, "text/xml; charset=utf-8"))
    else:
        response = jsonify(code=problem.code, message=problem.message_en,
                           message_zh=problem.message_zh, details=problem.params or {})
        response.status_code = problem.status
    for name, value in problem.headers:
        response.headers.add(name, value)
    return response


def _response(body, status, content_type):
    return current_app.response_class(body, status=status, content_type=content_type)


def _http_exception(e):
    if e.code in _HTTP_TO_CODE:
        problem = Problem(_HTTP_TO_CODE[e.code])
        response = render(problem)
        response.status_code = e.code
        return response
    return e


def _unexpected(e):
    log.exception("unexpected error on %s %s", request.method, request.path)
    return render(Problem("500.1"))
