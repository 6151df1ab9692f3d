"""The database plumbing every package shares: the SQLAlchemy and Alembic extensions and how
connections are set up (engine.py), column types and timestamps (columns.py), the read and
write phases of a hot path (transactions.py), and the hot statements sent on the driver's own
cursor (driver_sql.py) or, on PostgreSQL, through libpq directly (driver_pg.py). Domain
modules import `db` from here; nothing here imports them."""
from app.db.engine import db, migrate  # noqa: F401 - app.db.db is what every model uses
