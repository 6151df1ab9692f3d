"""OpenRosa header rules, as request hooks (after Central's lib/http/endpoint.js).

- Requests to OpenRosa-style endpoints (formList, manifest, submission) must say
  X-OpenRosa-Version: 1.0, checked before authentication; Date is never checked because
  Collect's Date header is unreliable (12-hour clock).
- Every response of the blueprint carries X-OpenRosa-Version, X-OpenRosa-Accept-Content-Length,
  Date and Content-Language: Collect treats a response without X-OpenRosa-Version as "not an
  OpenRosa server".
"""
import time
from email.utils import formatdate

from flask import current_app, request

from app.problems import Problem

#: endpoint names (without blueprint) that are "OpenRosa-style" in Central's sense
STRICT_ENDPOINTS = {"form_list", "manifest", "submission", "submission_preflight", "integrity"}


def check_version_header():
    endpoint = (request.endpoint or "").rsplit(".", 1)[-1]
    if endpoint in STRICT_ENDPOINTS and request.headers.get("X-OpenRosa-Version") != "1.0":
        raise Problem("400.6")


def add_headers(response):
    headers = response.headers
    headers["X-OpenRosa-Version"] = "1.0"
    headers["X-OpenRosa-Accept-Content-Length"] = str(current_app.config["MAX_CONTENT_LENGTH"])
    if "Date" not in headers:       # gunicorn replaces it with its own; other servers may not
        headers["Date"] = _date_now()
    headers.setdefault("Content-Language", "zh")
    return response


_date = [None, None]        # [second, its HTTP date]: formatting it per answer showed in a HEAD


def _date_now():
    now = int(time.time())
    if _date[0] != now:
        _date[:] = [now, formatdate(now, usegmt=True)]
    return _date[1]


def english_first():
    """Messages lead with English when the client prefers it over Chinese."""
    best = request.accept_languages.best_match(["zh", "en"])
    return best == "en"
