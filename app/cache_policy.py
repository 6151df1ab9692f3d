"""Cache-Control and Vary on every response, as ODK Central sets them (its lib/http/service.js).

Nearly everything Doorstep serves names women and their pregnancies, or is a credential, so
no shared cache (a proxy, a CDN, a clinic's caching gateway) may keep any of it:

- GET and HEAD: `private, no-cache`, Vary `Accept-Encoding, Origin`. The phone's or browser's
  own cache may keep a copy but must ask again on every use, which is exactly the ETag/304
  exchange Collect's HTTP cache runs for entity lists and media; a revoked token or a
  narrowed village then takes effect on the next request.
- Every other method (submissions, log-in, changes), and the web console's pages and
  downloads (app/web: a clinic's shared computer, where the Back button after signing out or
  the browser's disk cache must not show a woman's record or a phone's enrolment key):
  `no-store`, Vary `*`: nothing of the answer is kept anywhere. Doorstep's session routes
  (log in, log out) are all of this kind, as ODK Central makes its own.

The policy replaces whatever a view or Flask set: Flask's file responses say `no-cache`
without `private`, which a shared cache may store. The one exception is the browser forms
(app/webforms), which set their own in app/webforms/policy.py: their pages `no-store`, the
engine's files immutable (the same for everyone, under a versioned path), the service
worker `no-cache`.
"""
from flask import request

_READS = frozenset(("GET", "HEAD"))
#: blueprints whose views set Cache-Control themselves, kept as they set it
_OWN_POLICY = frozenset(("webforms",))


def _console_page():
    """A web console page or download (its stylesheet aside): personal data read on a
    browser that may be shared, or a phone's key on its enrolment sheet."""
    return request.blueprint == "console" and request.endpoint != "console.static"


def apply(response):
    """after_request hook for the whole app."""
    headers = response.headers
    if request.blueprint in _OWN_POLICY and "Cache-Control" in headers:
        return response
    if request.method in _READS and not _console_page():
        headers["Cache-Control"] = "private, no-cache"
        response.vary.update(("Accept-Encoding", "Origin"))
    else:
        headers["Cache-Control"] = "no-store"
        headers["Vary"] = "*"
    return response
