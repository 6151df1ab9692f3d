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


def _anchors(path):
    """The anchors a Markdown page offers: GitHub's heading slugs (a repeated heading gets -1,
    -2, …), `<a id="…">` and `{#…}` ids."""
    found, fence = set(), False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("```"):
                fence = not fence
            if fence:
                continue
            found |= set(re.findall(r'<a id="([^"]+)"', line) + re.findall(r"\{#([\w-]+)\}", line))
            heading = re.match(r"#{1,6} (.*)", line)
            if heading:
                slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
                n = 0
                while (slug if n == 0 else f"{slug}-{n}") in found:
                    n += 1
                found.add(slug if n == 0 else f"{slug}-{n}")
    return found


def test_every_relative_link_in_the_readme_and_docs_reaches_its_file_and_heading():
    pages = [os.path.join(ROOT, "README.md")] + [
        os.path.join(folder, name) for folder, _, files in os.walk(os.path.join(ROOT, "docs"))
        for name in files if name.endswith(".md")]
    broken = []
    for page in pages:
        with open(page, encoding="utf-8") as f:
            text = re.sub(r"```.*?```", "", f.read(), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
            if not os.path.exists(dest):
                broken.append((os.path.relpath(page, ROOT), target, "no such file"))
            elif anchor and dest.endswith(".md") and anchor not in _anchors(dest):
                broken.append((os.path.relpath(page, ROOT), target, "no such heading"))
    assert broken == []


def test_performance_page_keeps_the_sections_other_pages_point_to():
    with open(os.path.join(ROOT, "docs", "performance.md"), encoding="utf-8") as f:
        page = f.read()
    # README, docs/exports.md, docs/reports/bench.md, tests/e2e/test_chaos.py and app/ point
    # here for these; the history keeps every earlier run
    for needed in ("## The machine", "CPU reference", "### ODK Central in the same run",
                   "### Slow and silent connections", "### Phones on weak links and chaos",
                   "50,000 people", "performance-history.md"):
        assert needed in page
