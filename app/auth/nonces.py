"""Digest replay protection: each (nonce, nc) is accepted once.

Digest's nonces are stateless (app/auth/digest.py), so on its own a captured Authorization
header could be sent again, with any body, until its nonce goes stale (five minutes): on plain
HTTP, anyone on the network path could post submissions as that user. RFC 7616 lets a server
remember the nonce counts it has seen; here every accepted (nonce, nc) is written down, in
the database so that every worker and host shares the memory, and a second use is refused
with a fresh challenge marked stale, which clients (Collect's okhttp-digest, requests)
answer with the next nonce count without asking the user again. A legitimate retry of a
request whose answer was lost takes the same path.

The note is written in its own short transaction on its own connection: the request's
transaction may be a read-only one (on SQLite it holds no write lock), and a refusal must not
spoil it. Rows older than a nonce's life are deleted as new ones arrive.
"""
import datetime as dt

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from app.auth.digest import NONCE_SECONDS
from app.auth.models import DigestNonceUse
from app.db.columns import utcnow

_T = DigestNonceUse.__table__
#: kept a minute longer than a nonce is accepted, for clocks of different hosts
KEEP = dt.timedelta(seconds=NONCE_SECONDS + 60)


def first_use(engine, nonce, nc):
    """True when (nonce, nc) has not been accepted before, and note it; False for a replay.
    Two workers given the same pair at once: the primary key lets one of them through."""
    now = utcnow()
    try:
        with engine.begin() as connection:
            connection.execute(delete(_T).where(_T.c.used_at < now - KEEP))
            connection.execute(insert(_T).values(nonce=nonce, nc=nc, used_at=now))
    except IntegrityError:
        return False
    return True
