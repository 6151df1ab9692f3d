"""HTTP Digest authentication (RFC 7616, qop=auth, MD5), the scheme OpenRosa requires devices
to support and the only safe password scheme over plain HTTP.

Nonces are stateless: a timestamp signed with the secret key, so any worker on any host can
check a nonce another one issued. A nonce older than NONCE_SECONDS is answered with
stale=true, which makes the client retry with a fresh one without asking the user again.
Within its life each nonce count is accepted once (app/auth/nonces.py).
"""
import hashlib
import hmac
import secrets
import time

NONCE_SECONDS = 300


def _sign(secret, stamp):
    return hmac.new(secret.encode(), stamp.encode(), hashlib.sha256).hexdigest()[:32]


def make_nonce(secret, now=None):
    stamp = f"{int(now or time.time())}.{secrets.token_hex(4)}"
    return f"{stamp}.{_sign(secret, stamp)}"


def nonce_state(secret, nonce, now=None):
    """'ok', 'stale' (genuine but old) or 'bad'."""
    try:
        seconds, salt, signature = nonce.split(".")
        int(seconds)
    except ValueError:
        return "bad"
    if not hmac.compare_digest(_sign(secret, f"{seconds}.{salt}"), signature):
        return "bad"
    return "stale" if (now or time.time()) - int(seconds) > NONCE_SECONDS else "ok"


def challenge(realm, secret, stale=False):
    header = (f'Digest realm="{realm}", qop="auth", algorithm=MD5, '
              f'nonce="{make_nonce(secret)}", opaque="{_sign(secret, realm)}"')
    return header + (", stale=true" if stale else "")


def expected_response(ha1, method, params):
    md5 = lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: E731
    ha2 = md5(f"{method}:{params.get('uri', '')}")
    return md5(f"{ha1}:{params['nonce']}:{params['nc']}:{params.get('cnonce', '')}:"
               f"{params['qop']}:{ha2}")


def verify(ha1, method, params):
    """Only qop=auth answers (what the challenge offers, and what Collect and every current
    client send): the older form without qop has no nonce count, so a replay of it could not
    be told from a new request (app/auth/nonces.py)."""
    if not ha1 or not params.get("response") or not params.get("nonce"):
        return False
    if params.get("qop") != "auth" or not params.get("nc") or len(params["nc"]) > 16:
        return False
    return hmac.compare_digest(expected_response(ha1, method, params), params["response"])
