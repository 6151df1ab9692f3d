"""A backup taken while phones are sending over real HTTP (a real gunicorn, four phones
posting photos and new people) is one consistent moment: restored, every submission has its
photo's bytes, every blob row its file, and `register rebuild --check` finds the register
exactly as the submissions make it."""
import hashlib
import threading
import time

import pytest
import requests
from sqlalchemy import func, select

from app.cli import backup, register_group
from app.db import db as _db
from app.storage.models import Blob
from app.submissions.models import Submission, SubmissionAttachment, SubmissionDef
from tests.backup.conftest import restore_into, take_backup
from tests.backup.phones import person, publish_forms, visit
from tests.e2e.live import LiveServer

HEADERS = {"X-OpenRosa-Version": "1.0"}


class Phones:
    """Four phones sending visits with photos and new people until stopped."""

    def __init__(self, url):
        self.url, self.acknowledged, self.stop = url, 0, threading.Event()
        self.lock, self.refused = threading.Lock(), []
        self.threads = [threading.Thread(target=self._send, args=(n,)) for n in range(4)]
        for thread in self.threads:
            thread.start()

    def _send(self, n):
        i = 0
        while not self.stop.is_set():
            i += 1
            if i % 2:
                xml, photos = visit()
                files = [("xml_submission_file", ("s.xml", xml, "text/xml")),
                         ("p.jpg", ("p.jpg", photos["p.jpg"], "image/jpeg"))]
            else:
                files = [("xml_submission_file", ("s.xml", person(f"p{n}-{i}"), "text/xml"))]
            status = requests.post(self.url, files=files, headers=HEADERS, timeout=30).status_code
            with self.lock:
                if status == 201:
                    self.acknowledged += 1
                else:
                    self.refused.append(status)

    def wait_for(self, count, seconds=60):
        deadline = time.monotonic() + seconds
        while self.acknowledged < count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.acknowledged >= count

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join()


# Slow (a gunicorn and a stream of uploads), so once; the round trip covers the PostgreSQL
# snapshot on PostgreSQL.
@pytest.mark.once
def test_a_backup_taken_while_phones_send_restores_consistent(app, db, personas, publish,
                                                              make_target, tmp_path):
    publish_forms(publish)
    db.session.commit()
    server = LiveServer(app.config["SQLALCHEMY_DATABASE_URI"], app.config["DATA_DIR"],
                        workers=2).wait()
    phones = Phones(f"{server.url}/v1/key/{personas['worker_a'].token}/projects/1/submission")
    try:
        phones.wait_for(20)                                 # well into the stream
        before = phones.acknowledged
        result = take_backup(app, tmp_path / "backup")
        after = phones.acknowledged
        phones.wait_for(after + 10)                         # and the stream went on
    finally:
        phones.finish()
        server.stop()
    assert result.exit_code == 0, result.output
    assert phones.refused == []
    total = phones.acknowledged
    with app.app_context():
        checked = app.test_cli_runner().invoke(backup, ["verify", str(tmp_path / "backup")])
    assert checked.exit_code == 0, checked.output

    target = make_target()
    target_app = target.app()
    restored = restore_into(target_app, tmp_path / "backup")
    assert restored.exit_code == 0, restored.output
    with target_app.app_context():
        s = _db.session
        count = s.scalar(select(func.count()).select_from(Submission))
        assert before <= count < total
        store = target_app.extensions["blob_store"]
        blobs = {b.sha256 for b in s.scalars(select(Blob))}
        for sha256 in blobs:                                # no blob row without its file
            assert hashlib.sha256(store.read(sha256)).hexdigest() == sha256
        photos = s.execute(select(SubmissionAttachment.blob_sha256)
                           .join(SubmissionDef).where(SubmissionDef.current)).scalars().all()
        visits = s.scalar(select(func.count()).select_from(SubmissionDef)
                          .where(SubmissionDef.xml.contains("<photo>")))
        assert len(photos) == visits > 0 and set(photos) <= blobs    # every photo is there
        rebuilt = target_app.test_cli_runner().invoke(register_group, ["rebuild", "--check"])
        assert rebuilt.exit_code == 0, rebuilt.output
        assert "No difference from the live register." in rebuilt.output
        s.remove()
        _db.engine.dispose()
