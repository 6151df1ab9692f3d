"""The X-Doorstep-Signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
as Stripe signs its webhooks. The timestamp is inside the MAC, so a receiver can refuse an old
message replayed by someone who captured it (docs/webhooks.md shows the receiver's side)."""
import hashlib
import hmac
import secrets
import time

TOLERANCE = 300     # seconds a receiver should accept between t and its own clock


def new_secret():
    return secrets.token_hex(32)


def signature(secret, body, t):
    message = str(int(t)).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def header(secret, body, t=None):
    t = int(time.time() if t is None else t)
    return f"t={t},v1={signature(secret, body, t)}"


def verify(secret, body, value, now=None, tolerance=TOLERANCE):
    """Whether a header value signs `body` with `secret`, made within `tolerance` seconds."""
    try:
        parts = dict(p.split("=", 1) for p in value.split(","))
        t = int(parts["t"])
    except (ValueError, KeyError):
        return False
    now = time.time() if now is None else now
    if abs(now - t) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, body, t), parts.get("v1", ""))
