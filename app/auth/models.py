"""Web users (admin / supervisor / viewer), app users (field keys on phones) and API sessions.

Secrets are never stored in the clear: passwords as scrypt hashes, app-user and session tokens
as SHA-256 digests (they are long random strings, so a fast hash is enough), and for Digest
authentication the realm-bound HA1 = MD5(username:realm:password) that RFC 7616 needs.
"""
from app.db import db
from app.db.columns import utcnow

ROLES = ("admin", "supervisor", "viewer")

user_areas = db.Table(
    "user_areas",
    db.Column("user_id", db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    db.Column("area_id", db.ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True),
)
#: the towns (projects) a non-admin web user works in; an admin has none and sees every town
user_projects = db.Table(
    "user_projects",
    db.Column("user_id", db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    db.Column("project_id", db.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
)
app_user_areas = db.Table(
    "app_user_areas",
    db.Column("app_user_id", db.ForeignKey("app_users.id", ondelete="CASCADE"), primary_key=True),
    db.Column("area_id", db.ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True),
)
app_user_forms = db.Table(
    "app_user_forms",
    db.Column("app_user_id", db.ForeignKey("app_users.id", ondelete="CASCADE"), primary_key=True),
    db.Column("form_id", db.ForeignKey("forms.id", ondelete="CASCADE"), primary_key=True),
)


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (db.CheckConstraint("role IN ('admin', 'supervisor', 'viewer')", name="role"),)
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(120), nullable=False, unique=True)
    password_hash = db.Column(db.String(255), nullable=False)
    #: MD5(username:realm:password) for HTTP Digest; empty when Digest is not possible.
    digest_ha1 = db.Column(db.String(32), nullable=False, default="")
    role = db.Column(db.String(20), nullable=False)
    #: True: every area of the project (town-level staff); else only `areas`.
    all_areas = db.Column(db.Boolean, nullable=False, default=False)
    disabled = db.Column(db.Boolean, nullable=False, default=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    areas = db.relationship("Area", secondary=user_areas, lazy="selectin")
    #: her towns (docs/towns.md): a supervisor or viewer of several is county staff
    projects = db.relationship("Project", secondary=user_projects, lazy="selectin",
                               order_by="Project.id")


class AppUser(db.Model):
    """A field worker's or group leader's phone: a token in the URL, no password."""
    __tablename__ = "app_users"
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.ForeignKey("projects.id"), nullable=False)
    display_name = db.Column(db.String(200), nullable=False)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    all_areas = db.Column(db.Boolean, nullable=False, default=False)
    #: True: every form of the project, including ones published later.
    all_forms = db.Column(db.Boolean, nullable=False, default=False)
    revoked_at = db.Column(db.DateTime)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    #: when the phone last reached the server with its key (formList, manifest, a
    #: submission …), to within app.auth.actors.LAST_SEEN_EVERY; None: never
    last_seen_at = db.Column(db.DateTime)
    areas = db.relationship("Area", secondary=app_user_areas, lazy="selectin")
    forms = db.relationship("Form", secondary=app_user_forms, lazy="selectin")


class ApiSession(db.Model):
    """A bearer token from POST /v1/sessions."""
    __tablename__ = "api_sessions"
    token_hash = db.Column(db.String(64), primary_key=True)
    user_id = db.Column(db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    expires_at = db.Column(db.DateTime, nullable=False)


class WebSession(db.Model):
    """A signed-in browser of the web console: its cookie's token, stored hashed, ends at
    `expires_at` (absolute) or when `seen_at` is older than the idle limit."""
    __tablename__ = "web_sessions"
    token_hash = db.Column(db.String(64), primary_key=True)
    user_id = db.Column(db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                        index=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    seen_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    expires_at = db.Column(db.DateTime, nullable=False)
    #: the town her console shows, as she last chose it (None: her first town)
    project_id = db.Column(db.ForeignKey("projects.id", name="fk_web_sessions_project_id",
                                         ondelete="SET NULL"))


class DigestNonceUse(db.Model):
    """Each (nonce, nc) a Digest request was accepted with: a second use of the same pair is a
    replayed Authorization header (app/auth/nonces.py). Rows outlive their nonce by a minute."""
    __tablename__ = "digest_nonce_uses"
    nonce = db.Column(db.String(100), primary_key=True)
    nc = db.Column(db.String(16), primary_key=True)
    used_at = db.Column(db.DateTime, nullable=False, index=True)


class LoginFailure(db.Model):
    """One wrong password or Digest answer: for which user name (case-folded, known or not),
    from which address, when. Counted by app/auth/throttle.py; rows older than the window are
    deleted as new ones arrive."""
    __tablename__ = "login_failures"
    __table_args__ = (
        db.Index("ix_login_failures_username_failed_at", "username", "failed_at"),
        db.Index("ix_login_failures_address_failed_at", "address", "failed_at"),
    )
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(120), nullable=False)
    address = db.Column(db.String(64), nullable=False)
    failed_at = db.Column(db.DateTime, nullable=False, index=True)
