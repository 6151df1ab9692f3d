"""The worker inside a real gunicorn (two worker processes, each running it): an admin
subscribes over HTTP, phones submit over HTTP while the receiver is down, and once it is up
every submission arrives exactly once, in order, signed — no cron, no command."""
import time

import requests

from tests.e2e.conftest import live_server  # noqa: F401 - a fixture, found by pytest by name
from tests.factories import make_instance, new_instance_id
from tests.webhooks.conftest import deliveries

HEADERS = {"X-OpenRosa-Version": "1.0", "User-Agent": "org.odk.collect.android/v2025.3.1"}


def wait_for(check, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def test_the_server_delivers_what_phones_sent_while_the_receiver_was_down(
        live_server, personas, simple_form, db, receiver):
    server = live_server(env={"DOORSTEP_WEBHOOK_SECONDS": "1",
                              "DOORSTEP_WEBHOOK_TIMEOUT_SECONDS": "2"})
    hook = receiver()
    token = requests.post(f"{server.url}/v1/sessions", timeout=10, json={
        "email": "admin", "password": "admin-password"}).json()["token"]
    made = requests.post(f"{server.url}/v1/projects/1/webhooks", timeout=10,
                         headers={"Authorization": f"Bearer {token}"},
                         json={"url": hook.url, "events": ["submission.accepted"]})
    assert made.status_code == 200, made.text
    submit = f"{server.url}/v1/key/{personas['worker_a'].token}/projects/1/submission"
    ids = []
    for _ in range(4):
        ids.append(new_instance_id())
        xml = make_instance("simple", instance_id=ids[-1], values={"village": "dongwan"})
        response = requests.post(submit, headers=HEADERS, timeout=30, files=[
            ("xml_submission_file", ("submission.xml", xml, "text/xml"))])
        assert response.status_code == 201
    # down: the head is tried, fails, and waits (10 s backoff) with the rest behind it
    assert wait_for(lambda: deliveries(db) and deliveries(db)[0].attempts >= 1)
    hook.start()
    assert wait_for(lambda: len(hook.accepted()) == 4, seconds=40), server.output()
    assert [b["data"]["instanceId"] for b in hook.accepted()] == ids
    assert len(hook.requests) == 4 and hook.verified(made.json()["secret"])
    assert {d.status for d in deliveries(db)} == {"delivered"}
