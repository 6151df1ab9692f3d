"""Browser-hardening headers on every response: what Doorstep serves is never run, framed,
sniffed or followed by a browser as a page of this site.

Almost everything Doorstep answers is data (OpenRosa XML, JSON, CSV, a phone's photos), yet
a browser that opens one of those URLs would render it if it looked like HTML or SVG; a
submission's attachment is whatever a phone sent. So:

- `X-Content-Type-Options: nosniff`: the declared type is the type; no guessing HTML.
- `Content-Security-Policy`: nothing may load, run or submit (`default-src 'none'`,
  `form-action 'none'`, `base-uri 'none'`), the document is sandboxed (a unique origin, no
  scripts), and no other site may frame it (`frame-ancestors 'none'`; `X-Frame-Options:
  DENY` for browsers older than CSP 2). A view that serves a real page sets its own policy
  and it is kept; only the framing rule is then added if missing.
- `Referrer-Policy: no-referrer`: a phone's URL carries its field key (/v1/key/<token>/…),
  which must not travel to another site in a Referer header. The console's pages (no token
  in their URLs) say `same-origin` instead, which is kept: with no-referrer a browser sends
  `Origin: null` on their forms, and the console checks that Origin.
- `Strict-Transport-Security` when the request came over HTTPS (directly, or through a
  trusted proxy, app/proxy.py), for DOORSTEP_HSTS_SECONDS: a browser then never tries plain
  HTTP, where Basic credentials and session tokens could be read.

Submission XML and attachments also go out as `Content-Disposition: attachment`
(app/api/views.py, app/openrosa/media.py), so a browser saves them instead of showing them.
"""
from flask import current_app, request

CONTENT_SECURITY_POLICY = ("default-src 'none'; base-uri 'none'; form-action 'none'; "
                           "frame-ancestors 'none'; sandbox")
_FIXED = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"))
_KEPT_REFERRER_POLICY = "same-origin"


def apply(response):
    """after_request hook for the whole app."""
    headers = response.headers
    for name, value in _FIXED:
        headers[name] = value
    if headers.get("Referrer-Policy") != _KEPT_REFERRER_POLICY:
        headers["Referrer-Policy"] = "no-referrer"
    policy = headers.get("Content-Security-Policy")
    if policy is None:
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    elif "frame-ancestors" not in policy:
        headers["Content-Security-Policy"] = policy.rstrip("; ") + "; frame-ancestors 'none'"
    seconds = current_app.config["HSTS_SECONDS"]
    if request.is_secure and seconds > 0:
        headers["Strict-Transport-Security"] = f"max-age={seconds}"
    return response
