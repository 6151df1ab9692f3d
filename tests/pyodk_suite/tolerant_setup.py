"""A pytest plugin for run.sh's TOLERANT_SETUP=1: each of TestUsage's three set-up steps
(forms, submissions, entity lists) may fail without failing the class, so that every test
reports its own outcome while Doorstep lacks part of what the set-up needs. A diagnosis, not a
pass: the real run is without it."""
import functools

STEPS = ("create_test_forms", "create_test_submissions", "create_test_entity_lists")


def pytest_collection_modifyitems(session, config, items):
    modules = {item.module for item in items if item.cls and item.cls.__name__ == "TestUsage"}
    for module in modules:
        for name in STEPS:
            setattr(module, name, _tolerant(getattr(module, name), name))


def _tolerant(step, name):
    @functools.wraps(step)
    def run(client=None):
        try:
            return step(client=client)
        except Exception as error:  # noqa: BLE001 - reported, and the class goes on
            print(f"\n[tolerant set-up] {name} failed: {str(error)[:300]}")
            return client
    return run
