"""One module per town form, each registering its deriver (app.events.derive.deriver).
Importing this package registers them all."""
from app.events.derivers import home_visit  # noqa: F401
from app.events.derivers import person  # noqa: F401
