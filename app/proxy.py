"""Honour X-Forwarded-* headers only from configured trusted proxies.

Basic auth is accepted only over HTTPS, so a client must not be able to claim HTTPS by sending
X-Forwarded-Proto itself: the headers are applied only when the direct peer is a proxy the
operator listed in DOORSTEP_TRUSTED_PROXIES.
"""
from werkzeug.middleware.proxy_fix import ProxyFix


class TrustedProxyFix:
    def __init__(self, app, trusted):
        self.app = app
        self.trusted = frozenset(trusted)
        self.fixed = ProxyFix(app, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=1)

    def __call__(self, environ, start_response):
        if environ.get("REMOTE_ADDR") in self.trusted:
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)
