"""Filling forms with ODK's own engine (@getodk/xforms-engine) from tests.

fill(xform, answers, repeats=None, secondary=None) runs tests/engine/fill.mjs under Node and
returns Filled(status, xml bytes, violations). Its npm dependencies are pinned in
tests/engine/package.json; the README's test command installs them (npm ci --prefix
tests/engine). Without Node or those packages the tests that need the engine skip with the
reason, and fail under CI=true.
"""
import json
import os
import shutil
import subprocess
from dataclasses import dataclass

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass
class Filled:
    status: str
    xml: bytes
    violations: list


def available():
    """None if the engine can run here, else the reason it cannot."""
    if shutil.which("node") is None:
        return "Node.js is not installed"
    if not os.path.isdir(os.path.join(HERE, "node_modules", "@getodk", "xforms-engine")):
        return "the engine is not installed: run npm ci --prefix tests/engine"
    return None


def require_engine():
    reason = available()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"ODK's form engine is needed under CI: {reason}")
        pytest.skip(reason)


def fill(xform, answers, repeats=None, secondary=None):
    require_engine()
    request = {"form": xform.decode("utf-8") if isinstance(xform, bytes) else xform,
               "answers": answers, "repeats": repeats or {}, "secondary": secondary or {}}
    done = subprocess.run(["node", os.path.join(HERE, "fill.mjs")], input=json.dumps(request),
                          capture_output=True, text=True, timeout=120, cwd=HERE)
    if done.returncode != 0:
        raise RuntimeError(f"the engine failed:\n{done.stderr}")
    result = json.loads(done.stdout)
    return Filled(result["status"], (result["xml"] or "").encode("utf-8"), result["violations"])
