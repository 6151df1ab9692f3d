"""Docs that cannot drift: every DOORSTEP_* setting the code reads is in the README."""
import os
import re

from app.config import SETTINGS
from tests.conftest import ROOT


def _readme():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        return f.read()


def test_every_setting_is_documented_in_the_readme():
    used = set()
    for folder, _, files in os.walk(os.path.join(ROOT, "app")):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(folder, name), encoding="utf-8") as f:
                    used |= set(re.findall(r"DOORSTEP_[A-Z_]+", f.read()))
    assert {s.name for s in SETTINGS} <= used
    undocumented = sorted(name for name in used if f"`{name}`" not in _readme())
    assert undocumented == []


def test_readme_quick_start_is_two_commands():
    section = _readme().split("## Quick start")[1].split("## Configuration")[0]
    commands = re.findall(r"```sh\n(.*?)\n```", section, re.S)
    assert len(commands) == 2 and all("\n" not in c for c in commands)
    assert "flask --app wsgi setup" in commands[0] and "pytest tests" in commands[1]
