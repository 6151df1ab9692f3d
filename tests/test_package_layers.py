"""Submissions are the layer the others build on: validation, the life events and the register
may import app.submissions, and the register may import validation and events, but none of
them is imported back. Intake reaches them only through the hooks the app fills when it is
created (app/pipeline.py, app.submissions.processing). The database plumbing (app/db/)
imports none of them. Read from the source, so a lazy import
inside a function counts too."""
import ast
import os
import subprocess
import sys

import pytest

APP = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "app")

#: package -> the packages among these four it may import
ALLOWED = {"submissions": set(), "validation": {"submissions"}, "events": {"submissions"},
           "register": {"submissions", "validation", "events"}}


def imports_of(package):
    """{(imported package, file:line)} for every `from app.X ...` in the package."""
    found = set()
    for folder, _dirs, files in os.walk(os.path.join(APP, package)):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as f:
                tree = ast.parse(f.read())
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module:
                    parts = node.module.split(".")
                    targets = ([f"app.{a.name}" for a in node.names] if parts == ["app"]
                               else [node.module] if parts[0] == "app" else [])
                    for target in targets:
                        found.add((target.split(".")[1],
                                   f"{os.path.relpath(path, APP)}:{node.lineno}"))
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        if alias.name.startswith("app."):
                            found.add((alias.name.split(".")[1],
                                       f"{os.path.relpath(path, APP)}:{node.lineno}"))
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_the_package_imports_only_the_layers_below_it(package):
    wrong = sorted(f"{where} imports app.{target}" for target, where in imports_of(package)
                   if target in ALLOWED and target != package
                   and target not in ALLOWED[package])
    assert wrong == []


def test_the_database_plumbing_imports_no_package_of_the_server():
    assert sorted(f"{where} imports app.{target}" for target, where in imports_of("db")
                  if target != "db") == []


def test_the_reading_sees_a_lazy_import_inside_a_function():
    # the register imports events inside functions as well as at the top
    assert any(target == "events" for target, _ in imports_of("register"))


def test_intake_runs_what_the_app_installed_when_it_was_created(app):
    from app.events.record import record_received, resync
    from app.register.step import held_for_review, merge_approved, merge_received
    from app.submissions import processing
    from app.validation import step
    assert processing.PROCESSORS == [merge_received, record_received]
    assert (processing.check, processing.after_check) == (step.check, step.after_write)
    assert processing.holds is held_for_review
    assert (processing.approve, processing.recount) == (merge_approved, resync)


def test_before_the_app_is_created_intake_refuses_rather_than_skip_its_steps():
    # a fresh interpreter: this one's hooks were filled by the tests' app
    probe = ("from app.submissions import processing\n"
             "for hook in (processing.check, processing.holds, processing.approve):\n"
             "    try:\n        hook(None, None, None, None)\n"
             "    except RuntimeError as e:\n        print(e)\n")
    out = subprocess.run([sys.executable, "-c", probe], cwd=os.path.dirname(APP),
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.count("processing hooks are not installed") == 3, out.stderr
