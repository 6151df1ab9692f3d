"""run.sh itself, on a stand-in for pyodk's repository (a TestUsage written as pyodk's is:
skipped unless E2E_WITH_REAL_REQUESTS, a Client() reading PYODK_CONFIG_FILE): the script
switches the suite on, serves a fresh Doorstep with an admin, and points pyodk at it. The real
suite needs a checkout of getodk/pyodk, which CI does not have (README, "pyodk's own suite")."""
import os
import subprocess
import textwrap

import pytest

RUN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run.sh")
STAND_IN = '''
    from unittest import TestCase, skipUnless

    from pyodk.client import Client

    E2E_WITH_REAL_REQUESTS = False


    @skipUnless(condition=E2E_WITH_REAL_REQUESTS, reason="Requires Central instance.")
    class TestUsage(TestCase):
        def test_reads_the_fresh_server(self):
            with Client() as client:
                self.assertEqual(client.project_id, 1)
                self.assertEqual(client.forms.list(), [])

        def test_left_out(self):
            self.fail("the runner runs the suite as set up; this test shows the outcome")
'''


@pytest.mark.once
def test_the_runner_switches_the_suite_on_and_points_pyodk_at_a_fresh_server(tmp_path):
    checkout = tmp_path / "pyodk"
    (checkout / "tests").mkdir(parents=True)
    (checkout / "tests" / "test_client.py").write_text(textwrap.dedent(STAND_IN))
    done = subprocess.run(["bash", RUN, str(checkout), "-q"], capture_output=True, text=True,
                          timeout=300)
    # switched on (else both skip), served and configured (one passes), pytest's status kept
    assert "1 failed, 1 passed" in done.stdout, done.stdout + done.stderr
    assert done.returncode == 1
    # the checkout is copied, never changed
    assert "E2E_WITH_REAL_REQUESTS = False" in (checkout / "tests" / "test_client.py").read_text()
