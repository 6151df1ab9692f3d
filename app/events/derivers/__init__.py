"""One module per town form, each registering its deriver (app.events.derive.deriver).
Importing this package registers them all."""
from app.events.derivers import benefit_payment  # noqa: F401
from app.events.derivers import contraception_service  # noqa: F401
from app.events.derivers import double_check  # noqa: F401
from app.events.derivers import home_visit  # noqa: F401
from app.events.derivers import migrant  # noqa: F401
from app.events.derivers import person  # noqa: F401
from app.events.derivers import pregnancy_outcome  # noqa: F401
from app.events.derivers import pregnancy_report  # noqa: F401
from app.events.derivers import prepregnancy_check  # noqa: F401
from app.events.derivers import three_checks  # noqa: F401
