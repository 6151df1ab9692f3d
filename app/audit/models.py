"""Audit events and the head of each project's hash chain. Every change, and every read of
personal data by a person (staff, or a phone's list download), writes one row in the same
transaction as the change itself, so there is never a change without its event. Each row
carries the hash of the one before it in its project's chain (app.audit.chain, docs/audit.md)."""
from app.db import db
from app.db.columns import JSONType, utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    #: the console's audit page reads newest first, alone or by target, actor or action
    __table_args__ = (
        db.Index("ix_audit_events_time", "logged_at", "id"),
        db.Index("ix_audit_events_target_time", "target", "logged_at", "id"),
        db.Index("ix_audit_events_actor_time", "actor_type", "actor_id", "logged_at", "id"),
        db.Index("ix_audit_events_action_time", "action", "logged_at", "id"),
        # `flask audit verify` walks one project's chain in id order
        db.Index("ix_audit_events_chain", "project_id", "id"),
    )
    id = db.Column(db.Integer, primary_key=True)
    #: "user", "app_user" or "system"
    actor_type = db.Column(db.String(20), nullable=False)
    actor_id = db.Column(db.Integer)
    action = db.Column(db.String(64), nullable=False)
    #: e.g. "submission:42", "form:7"
    target = db.Column(db.String(120), nullable=False, default="")
    details = db.Column(JSONType)
    logged_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    #: the project of the target; NULL for system-wide entries (users, sign-ins), a chain of
    #: their own. No foreign key: the log outlives what it names.
    project_id = db.Column(db.Integer)
    #: the hash of the entry before this one in its chain (64 zeros for the first)
    prev_hash = db.Column(db.String(64))
    #: SHA-256 (hex) of prev_hash and the entry's canonical form (app.audit.chain)
    hash = db.Column(db.String(64))


class AuditChainHead(db.Model):
    """The last entry of one chain: appends lock this row (PostgreSQL) so two transactions
    never chain onto the same entry, and verify compares it with the chain's end (which is how
    a deleted last entry shows)."""
    __tablename__ = "audit_chain_heads"
    #: the project's id, or 0 for the system-wide chain (project_id NULL)
    chain = db.Column(db.Integer, primary_key=True, autoincrement=False)
    length = db.Column(db.BigInteger, nullable=False)
    #: the hash before the last entry, and the last entry's hash
    prev_hash = db.Column(db.String(64), nullable=False)
    hash = db.Column(db.String(64), nullable=False)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)
