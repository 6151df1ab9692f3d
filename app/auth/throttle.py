"""Refusing password guessing: failed log-ins are counted per user name at one address, per
user name, and per address, in the database, so that every worker and host counts together.

Policy (the README's "Log-in limits" says the same for operators). Within any window of
LOGIN_WINDOW_SECONDS, password and Digest log-ins (POST /v1/sessions, Basic, Digest) are
refused with 429 and Retry-After, the right password included, once there were:

1. LOGIN_USER_ADDRESS_LIMIT failures for one user name from one address: someone guessing
   one account, or a phone still holding an old password. Only that user at that address is
   held, so a mistyping nurse never locks out the clinic whose Wi-Fi address she shares.
2. LOGIN_USER_LIMIT failures for one user name from anywhere: guessing spread over many
   addresses. It is higher than (1), so a single address can never reach it alone: holding a
   real user out everywhere takes a deliberate attack from several addresses, and even then
   only for one window after it stops. That denial of service is the price of bounding a
   distributed guesser; phones that log in with their field key (QR code) are never
   affected, and `flask users unlock` lifts the hold.
3. LOGIN_ADDRESS_LIMIT failures from one address, whatever the user names: one machine
   trying many accounts. High, because many phones share one public address behind a
   clinic's router or a carrier's NAT, and (1) already stops each single account early.

Unknown user names are counted like real ones, so a 429 tells nothing about who exists.
IPv6 addresses count by their /64, which one subscriber usually holds whole. A failure is a
password or Digest answer that was checked and was wrong; nothing else is (a request without
credentials, a Digest client's first request, a stale nonce or a replayed nonce count whose
answer was right, Basic over plain HTTP, a malformed or foreign nonce).

Cost: a locked attempt is refused before any password work and writes nothing; a checked
attempt reads its three counts in the same statement as the user lookup (LOCK_COLUMNS); only
failures write. Phones with field keys and bearer tokens never come here. Requests in flight
at the moment a limit is reached may each add one failure beyond it.
"""
import datetime as dt
import ipaddress
import math
from dataclasses import dataclass

from sqlalchemy import DateTime, Integer, bindparam, delete, insert, select

from app.auth.models import LoginFailure
from app.problems import Problem

_T = LoginFailure.__table__
NAME_CHARS = 120
ADDRESS_CHARS = 64


@dataclass(frozen=True)
class Limits:
    """Failures allowed within `window` seconds; a limit of 0 turns that count off."""
    window: int
    user_at_address: int
    user: int
    address: int

    @classmethod
    def from_config(cls, config):
        return cls(config["LOGIN_WINDOW_SECONDS"], config["LOGIN_USER_ADDRESS_LIMIT"],
                   config["LOGIN_USER_LIMIT"], config["LOGIN_ADDRESS_LIMIT"])


def user_key(username):
    return username.casefold()[:NAME_CHARS]


def address_key(address):
    """An IPv4 address as itself (also when IPv4-mapped); an IPv6 address as its /64."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return (address or "unknown")[:ADDRESS_CHARS]
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


@dataclass(frozen=True)
class Attempt:
    """A log-in with a password or Digest answer: the user name as given (for the lookup)
    and the keys it is counted under."""
    name: str
    user: str
    address: str
    limits: Limits

    @classmethod
    def of(cls, username, address, limits):
        # no user name holds a NUL (PostgreSQL cannot store one): such a name is unknown
        username = username.replace("\x00", "\ufffd")
        return cls(username, user_key(username), address_key(address), limits)

    def lock_params(self, now):
        """The values of LOCK_COLUMNS' parameters for this attempt at `now`."""
        params = {"throttle_user": self.user, "throttle_address": self.address}
        since = now - dt.timedelta(seconds=self.limits.window)
        for tier, limit in zip(TIERS, (self.limits.user_at_address, self.limits.user,
                                       self.limits.address)):
            # a limit of 0 is off: a window that starts in the future holds no failure
            params[f"{tier}_since"] = since if limit > 0 else dt.datetime.max
            params[f"{tier}_offset"] = max(limit - 1, 0)
        return params

    def retry_after(self, locks, now):
        """Seconds until every hold in `locks` (LOCK_COLUMNS' values) has lifted; 0: none."""
        ends = [t + dt.timedelta(seconds=self.limits.window) for t in locks if t is not None]
        if not ends:
            return 0
        return max(1, math.ceil((max(ends) - now).total_seconds()))

    @staticmethod
    def refusal(seconds):
        return Problem("429.71", {"seconds": seconds}, headers=[("Retry-After", str(seconds))])

    def failed(self, engine, now):
        """Note a failure, in its own short transaction on its own connection (as
        app/auth/nonces.py does), and drop failures that left the window."""
        with engine.begin() as connection:
            connection.execute(delete(_T).where(
                _T.c.failed_at < now - dt.timedelta(seconds=self.limits.window)))
            connection.execute(insert(_T).values(username=self.user, address=self.address,
                                                 failed_at=now))


def _nth_latest(tier, *where):
    """The tier's limit-th latest failure in the window, or NULL while under its limit."""
    return (select(_T.c.failed_at)
            .where(*where, _T.c.failed_at > bindparam(f"{tier}_since", type_=DateTime))
            .order_by(_T.c.failed_at.desc())
            .limit(1).offset(bindparam(f"{tier}_offset", type_=Integer))
            .scalar_subquery().label(f"{tier}_lock"))


TIERS = ("user_at_address", "user", "address")
_BY_USER = _T.c.username == bindparam("throttle_user")
_BY_ADDRESS = _T.c.address == bindparam("throttle_address")
#: the hold of each tier, as scalar subqueries that ride along the user lookup's statement
#: (app/auth/logins.py), so a correct answer pays no round trip for them; built once, so
#: SQLAlchemy compiles them once (lock_params gives their values)
LOCK_COLUMNS = (_nth_latest("user_at_address", _BY_USER, _BY_ADDRESS),
                _nth_latest("user", _BY_USER), _nth_latest("address", _BY_ADDRESS))


def unlock(engine, username=None, address=None):
    """Forget the failures of a user name and/or an address (flask users unlock); returns
    how many were forgotten."""
    where = []
    if username is not None:
        where.append(_T.c.username == user_key(username))
    if address is not None:
        where.append(_T.c.address == address_key(address))
    if not where:
        return 0
    with engine.begin() as connection:
        return connection.execute(delete(_T).where(*where)).rowcount
