"""Reading the audit chains back: each chain's entries in order, checked by app.audit.chain,
and a chain's head (what a report prints for the meeting's minutes)."""
from dataclasses import dataclass

from sqlalchemy import select

from app.audit import chain
from app.audit.models import AuditChainHead, AuditEvent
from app.audit.record import chain_key

_T, _H = AuditEvent.__table__, AuditChainHead.__table__
_COLUMNS = (_T.c.id, _T.c.project_id, _T.c.actor_type, _T.c.actor_id, _T.c.action,
            _T.c.target, _T.c.details, _T.c.logged_at, _T.c.prev_hash, _T.c.hash)
#: rows read per query while walking (a chain may hold millions)
BATCH = 5000


@dataclass
class Head:
    project_id: int | None
    length: int
    hash: str
    taken_at: object


def chains(session):
    """Every chain's project id (None: the system-wide chain), those with entries or a head."""
    found = {p for (p,) in session.execute(select(_T.c.project_id).distinct())}
    found |= {c or None for (c,) in session.execute(select(_H.c.chain))}
    return sorted(found, key=lambda p: (p is not None, p or 0))


def head(session, project_id):
    """The chain's head as its head row says (length 0 and the genesis hash when empty)."""
    row = session.execute(select(_H.c.length, _H.c.hash, _H.c.updated_at)
                          .where(_H.c.chain == chain_key(project_id))).first()
    if row is None:
        return Head(project_id, 0, chain.GENESIS, None)
    return Head(project_id, row.length, row.hash, row.updated_at)


def _rows(session, project_id):
    where = _T.c.project_id.is_(None) if project_id is None else _T.c.project_id == project_id
    last = 0
    while True:
        batch = session.execute(select(*_COLUMNS).where(where, _T.c.id > last)
                                .order_by(_T.c.id).limit(BATCH)).all()
        yield from batch
        if len(batch) < BATCH:
            return
        last = batch[-1].id


def verify(session, project_id):
    """Walk one chain (app.audit.chain.walk) against its head row."""
    row = session.execute(select(_H.c.length, _H.c.prev_hash, _H.c.hash)
                          .where(_H.c.chain == chain_key(project_id))).first()
    return chain.walk(_rows(session, project_id), row)
