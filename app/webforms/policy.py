"""What the browser forms' responses promise a browser: their Content-Security-Policy, their
caching, and brotli or gzip for the engine's files.

The pages run script (ODK Web Forms is a Vue application), but only Doorstep's own files and
the import map, by a nonce; the engine compiles its XPath parser from WebAssembly
('wasm-unsafe-eval') and injects its own stylesheets ('unsafe-inline' styles); images may be
the form's media turned into blob: URLs. Nothing is fetched from another origin.
"""
import hashlib
import os
import secrets

from flask import current_app, request, send_from_directory

SCRIPTED = ("default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
            "media-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
            "worker-src 'self' blob: data:; manifest-src 'self'; object-src 'none'; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
PLAIN = ("default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
         "form-action 'none'; frame-ancestors 'none'")
IMMUTABLE = "public, max-age=31536000, immutable"


def nonce():
    """This response's script nonce (one per request)."""
    found = request.environ.get("doorstep.nonce")
    if found is None:
        found = request.environ["doorstep.nonce"] = secrets.token_urlsafe(18)
    return found


def page(body, status=200, scripts=True):
    """An HTML page with its policy. Pages are never stored by HTTP caches: the service
    worker keeps its own copy for offline use, and a revoked link must be asked afresh."""
    response = current_app.response_class(body, status=status,
                                          content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = (SCRIPTED.format(nonce=nonce()) if scripts
                                                   else PLAIN)
    response.headers["Cache-Control"] = "no-store"
    return response


def fingerprint(root, name):
    """A static file's content digest, for URLs that change when it does (per process)."""
    cache = current_app.extensions.setdefault("webforms_static", {})
    if name not in cache:
        with open(os.path.join(root, "static", name), "rb") as f:
            cache[name] = hashlib.sha256(f.read()).hexdigest()[:12]
    return cache[name]


#: (Content-Encoding, suffix of the installed copy), best first
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


def static_file(directory, name):
    """An installed engine file, as its brotli or gzip copy when the browser takes one."""
    taken = request.accept_encodings        # Werkzeug's parse: q=0 refuses a coding
    coding, suffix = next(((c, s) for c, s in ENCODINGS if taken.quality(c) > 0
                           and os.path.exists(os.path.join(directory, name + s))), (None, ""))
    response = send_from_directory(directory, name + suffix, mimetype="text/javascript",
                                   max_age=31536000, conditional=True, etag=True)
    if coding:
        response.headers["Content-Encoding"] = coding
    response.vary.add("Accept-Encoding")
    response.headers["Cache-Control"] = IMMUTABLE
    return response
