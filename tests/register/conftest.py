"""Register tests reuse the API's bearer-session helper."""
from tests.api.conftest import login  # noqa: F401 - a fixture, found by pytest by name
