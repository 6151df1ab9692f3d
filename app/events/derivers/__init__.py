"""One module per town form, each registering its deriver (app.events.derive.deriver).
Importing this package registers them all."""
from app.events.derivers import pregnancy_outcome  # noqa: F401
from app.events.derivers import pregnancy_report  # noqa: F401
from app.events.derivers import three_checks  # noqa: F401
