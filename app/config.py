"""Every Doorstep setting, read from a DOORSTEP_* environment variable.

SETTINGS is the single list of settings: its names, defaults and one-line docs. The README's
configuration table is checked against it by a test, so a setting cannot go undocumented.
"""
import os
import secrets
import tempfile
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str          # environment variable
    key: str           # Flask config key
    default: object
    doc: str
    cast: type = str


SETTINGS = (
    Setting("DOORSTEP_INSTANCE_DIR", "INSTANCE_DIR", None,
            "Directory for local state: the default SQLite database and data directory, QR "
            "codes and the quick start's notes. Default: instance/ in the checkout."),
    Setting("DOORSTEP_DATABASE_URL", "SQLALCHEMY_DATABASE_URI", None,
            "Database URL. Default: SQLite at <instance>/doorstep.sqlite3. "
            "PostgreSQL: postgresql://user@host:5432/dbname."),
    Setting("DOORSTEP_DATA_DIR", "DATA_DIR", None,
            "Directory for attachment and form-media blobs. Default: <instance>/data."),
    Setting("DOORSTEP_STORAGE_URL", "STORAGE_URL", "",
            "Where attachments and form media live: s3://bucket/prefix for an S3-compatible "
            "object store; empty (default): files in DOORSTEP_DATA_DIR."),
    Setting("DOORSTEP_STORAGE_ENDPOINT_URL", "STORAGE_ENDPOINT_URL", "",
            "The S3 API's URL for a store other than Amazon's (MinIO, Ceph, a cloud's "
            "S3-compatible service), e.g. https://minio.example.org:9000."),
    Setting("DOORSTEP_STORAGE_REGION", "STORAGE_REGION", "",
            "The bucket's region, e.g. cn-north-1. Empty: boto3's default (AWS_REGION)."),
    Setting("DOORSTEP_STORAGE_ACCESS_KEY_ID", "STORAGE_ACCESS_KEY_ID", "",
            "Access key for the store. Empty: boto3's own chain (AWS_ACCESS_KEY_ID, "
            "~/.aws/credentials, an instance role)."),
    Setting("DOORSTEP_STORAGE_SECRET_ACCESS_KEY", "STORAGE_SECRET_ACCESS_KEY", "",
            "Secret key belonging to DOORSTEP_STORAGE_ACCESS_KEY_ID."),
    Setting("DOORSTEP_WEBFORMS_DIR", "WEBFORMS_DIR", None,
            "Directory holding ODK Web Forms' files for the browser forms (written by "
            "`flask webforms install`, which setup runs). Default: app/webforms/vendor in the "
            "checkout."),
    Setting("DOORSTEP_MAX_SUBMISSION_BYTES", "MAX_CONTENT_LENGTH", 100_000_000,
            "Largest accepted submission POST body; advertised to phones as "
            "X-OpenRosa-Accept-Content-Length. Keep it below any proxy's limit.", int),
    Setting("DOORSTEP_PUBLIC_URL", "PUBLIC_URL", "",
            "Public base URL (e.g. https://doorstep.example.org) used in links sent to phones. "
            "Default: derived from each request."),
    Setting("DOORSTEP_SECRET_KEY", "SECRET_KEY", None,
            "Secret for signing Digest nonces. Set it to the same value on every host; "
            "default: a random key made once and kept in <instance>/secret_key, which every "
            "worker and command of this host reads."),
    Setting("DOORSTEP_TRUSTED_PROXIES", "TRUSTED_PROXIES", "",
            "Comma-separated IP addresses of reverse proxies whose X-Forwarded-Proto/-Host/-For "
            "headers are trusted. Empty: forwarded headers are ignored."),
    Setting("DOORSTEP_REALM", "AUTH_REALM", "Doorstep",
            "HTTP authentication realm for Basic/Digest. Changing it invalidates stored Digest "
            "credentials until passwords are set again."),
    Setting("DOORSTEP_SESSION_HOURS", "SESSION_HOURS", 24,
            "Lifetime of API session (bearer) tokens, in hours.", int),
    Setting("DOORSTEP_CONSOLE_IDLE_MINUTES", "CONSOLE_IDLE_MINUTES", 30,
            "The web console signs a person out after this many minutes without a request.",
            int),
    Setting("DOORSTEP_CONSOLE_SESSION_HOURS", "CONSOLE_SESSION_HOURS", 12,
            "The web console signs a person out this many hours after signing in, however "
            "busy.", int),
    Setting("DOORSTEP_PASSWORD_HASH", "PASSWORD_HASH", "scrypt",
            "Werkzeug password-hash method for web users, e.g. scrypt or scrypt:32768:8:1 "
            "(n:r:p). Raise the cost on fast servers; never lower it in production."),
    Setting("DOORSTEP_PROJECT_NAME", "PROJECT_NAME", "Doorstep town",
            "Name of the default project (the town) shown on phones."),
    Setting("DOORSTEP_BACKLOG_DAYS", "BACKLOG_DAYS", 5,
            "Days an offline entity update waits in the backlog for its predecessor before it "
            "is applied anyway (on the latest version, marked as a conflict).", int),
    Setting("DOORSTEP_BACKLOG_MINUTES", "BACKLOG_MINUTES", 60,
            "How often each server process looks for timed-out backlog items; 0 turns the "
            "timer off (run `flask register process-backlog` from cron instead).", int),
    Setting("DOORSTEP_WEBHOOK_SECONDS", "WEBHOOK_SECONDS", 5,
            "How often each server process sends due webhook deliveries; 0 turns it off (run "
            "`flask webhooks run` or `flask webhooks send-due` instead).", int),
    Setting("DOORSTEP_WEBHOOK_TIMEOUT_SECONDS", "WEBHOOK_TIMEOUT_SECONDS", 10,
            "The longest one webhook delivery attempt may take, connecting to reading the "
            "answer.", int),
    Setting("DOORSTEP_LOGIN_WINDOW_SECONDS", "LOGIN_WINDOW_SECONDS", 900,
            "Window over which failed log-ins (password or Digest) are counted; a hold lifts "
            "when enough of them have aged out of it (app/auth/throttle.py).", int),
    Setting("DOORSTEP_LOGIN_USER_ADDRESS_LIMIT", "LOGIN_USER_ADDRESS_LIMIT", 10,
            "Failed log-ins for one user name from one address, within the window, before "
            "that user is refused (429) from that address; 0 turns this count off.", int),
    Setting("DOORSTEP_LOGIN_USER_LIMIT", "LOGIN_USER_LIMIT", 30,
            "Failed log-ins for one user name from any address, within the window, before "
            "that user is refused everywhere; keep it above the per-user-and-address limit. "
            "0 turns it off.", int),
    Setting("DOORSTEP_LOGIN_ADDRESS_LIMIT", "LOGIN_ADDRESS_LIMIT", 50,
            "Failed log-ins from one address (IPv6: one /64), any user names, within the "
            "window, before every log-in from it is refused; 0 turns it off.", int),
    Setting("DOORSTEP_HSTS_SECONDS", "HSTS_SECONDS", 31_536_000,
            "max-age of the Strict-Transport-Security header sent on answers over HTTPS "
            "(default one year); 0 sends none.", int),
)


def _instance_default(instance_path, key):
    if key == "INSTANCE_DIR":
        return instance_path
    if key == "SQLALCHEMY_DATABASE_URI":
        return "sqlite:///" + os.path.join(instance_path, "doorstep.sqlite3")
    if key == "DATA_DIR":
        return os.path.join(instance_path, "data")
    if key == "WEBFORMS_DIR":
        return os.path.join(os.path.dirname(os.path.abspath(__file__)), "webforms", "vendor")
    return None


SECRET_FILE = "secret_key"


def instance_secret(instance_dir):
    """The secret kept in <instance_dir>/secret_key, made on first use. Every gunicorn worker
    and command reads the same one (a per-process secret made other workers reject a Digest
    nonce and cost the phone an extra 401). Race-free: the key is written whole to a private
    temporary file and linked into place; whoever links first wins and the others read it."""
    path = os.path.join(instance_dir, SECRET_FILE)
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    os.makedirs(instance_dir, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".secret_key-", dir=instance_dir)   # mode 0600
    try:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass            # another process made it first: use theirs
    finally:
        os.unlink(temporary)
    return _read_secret(path)


def _read_secret(path):
    with open(path, encoding="ascii") as f:
        secret = f.read().strip()
    if not secret:
        raise RuntimeError(f"{path} is empty: delete it (a new one is made) or fill it")
    return secret


def normalise_database_url(url):
    """Use psycopg 3 for plain postgresql:// URLs (SQLAlchemy would pick psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load(instance_path, overrides=None, environ=os.environ):
    """Build the Flask config mapping from the environment, then apply overrides."""
    config = {}
    for s in SETTINGS:
        raw = environ.get(s.name)
        value = s.cast(raw) if raw not in (None, "") else s.default
        if value is None:
            value = _instance_default(config.get("INSTANCE_DIR", instance_path), s.key)
        config[s.key] = value
    config.update(overrides or {})
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = instance_secret(config["INSTANCE_DIR"])
    config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(config["SQLALCHEMY_DATABASE_URI"])
    config["TRUSTED_PROXIES"] = split_list(config["TRUSTED_PROXIES"])
    # No pool_pre_ping: it costs a database round trip on every request. Connections are
    # recycled hourly instead; after a database restart, the first request on each stale
    # connection fails once (a phone simply retries).
    options = config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(
        config.get("SQLALCHEMY_ENGINE_OPTIONS") or {"pool_recycle": 3600})
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg"):
        # prepared statements are app.db.driver_pg's: psycopg's own would take them all away on
        # every ROLLBACK
        from app.db import driver_pg
        options["connect_args"] = {**options.get("connect_args", {}), **driver_pg.CONNECT_ARGS}
    return config


def split_list(value):
    if isinstance(value, (list, tuple, set)):
        return frozenset(value)
    return frozenset(v.strip() for v in str(value).split(",") if v.strip())
