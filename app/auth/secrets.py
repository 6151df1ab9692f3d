"""Password hashing, Digest HA1, and random tokens (app-user keys, API sessions)."""
import functools
import hashlib
import re
import secrets
import string

from werkzeug.security import check_password_hash, generate_password_hash

# Central's app-user tokens are 64 characters of [A-Za-z0-9!$]; ours are alphanumeric, so a
# token always survives URLs and QR codes unescaped.
TOKEN_ALPHABET = string.ascii_letters + string.digits
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9!$]{64}$")


def hash_password(password, method="scrypt"):
    return generate_password_hash(password, method=method)


def check_password(stored_hash, password):
    return bool(stored_hash) and check_password_hash(stored_hash, password)


@functools.cache
def dummy_password_hash(method):
    """A hash of a random password made with `method`: what an unknown user name is checked
    against, so that it costs what a wrong password costs (app/auth/logins.py)."""
    return hash_password(secrets.token_hex(16), method)


#: what a Digest answer for an unknown user name is checked against, for the same reason
DUMMY_HA1 = secrets.token_hex(16)


def digest_ha1(username, realm, password):
    return hashlib.md5(f"{username}:{realm}:{password}".encode()).hexdigest()


def new_token():
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(64))


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def well_formed_token(token):
    return bool(TOKEN_PATTERN.match(token or ""))

