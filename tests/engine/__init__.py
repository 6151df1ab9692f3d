"""Filling forms with ODK's own engine (@getodk/xforms-engine) from tests.

fill(xform, answers, repeats=None, secondary=None, now=None, seed=None) runs
tests/engine/fill.mjs under Node in the town's time zone (Asia/Shanghai) and returns
Filled(status, xml bytes, violations). Given `now` (ISO 8601) the engine's clock stands still
there, and given `seed` its uuid() values repeat from run to run: the same call then gives the
same instance byte for byte. `options` names selects whose offered values to return (in
Filled.options), to test choice filters. Its npm dependencies are pinned in
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
    options: dict


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


TIME_ZONE = "Asia/Shanghai"


def fill(xform, answers, repeats=None, secondary=None, now=None, seed=None, options=()):
    require_engine()
    request = {"form": xform.decode("utf-8") if isinstance(xform, bytes) else xform,
               "answers": answers, "repeats": repeats or {}, "secondary": secondary or {},
               "now": now, "seed": seed, "options": list(options)}
    done = subprocess.run(["node", os.path.join(HERE, "fill.mjs")], input=json.dumps(request),
                          capture_output=True, text=True, timeout=120, cwd=HERE,
                          env={**os.environ, "TZ": TIME_ZONE})
    if done.returncode != 0:
        raise RuntimeError(f"the engine failed:\n{done.stderr}")
    result = json.loads(done.stdout)
    return Filled(result["status"], (result["xml"] or "").encode("utf-8"), result["violations"],
                  result["options"])
