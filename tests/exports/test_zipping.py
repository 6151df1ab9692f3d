"""app.exports.zipping: a zip archive that streams while it is written, side tables spooled."""
import io
import os
import zipfile

import pytest

from app.exports import zipping
from app.exports.zipping import ZipStream

pytestmark = pytest.mark.database_independent


def test_archive_streams_before_it_is_finished_and_spools_come_after_the_entry():
    archive = ZipStream()
    pieces = []
    side = archive.spool("side.csv")
    with archive.entry("main.csv") as main:
        for i in range(50_000):
            main.write(b"main,%d,%s\n" % (i, os.urandom(16).hex().encode()))
            side.write(b"side,%d\n" % i)
            if archive.pending >= 1 << 16:
                pieces.append(archive.take())
    streamed_before_finish = len(pieces)
    pieces.extend(archive.finish())
    data = b"".join(pieces)
    assert streamed_before_finish > 1
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.namelist() == ["main.csv", "side.csv"]
        assert z.testzip() is None
        assert z.read("main.csv").splitlines()[-1].startswith(b"main,49999,")
        assert z.read("side.csv").splitlines()[0] == b"side,0"


def test_a_big_spool_moves_to_disk(monkeypatch):
    monkeypatch.setattr(zipping, "SPOOL_MEMORY", 1000)
    archive = ZipStream()
    side = archive.spool("side.csv")
    side.write(b"x" * 5000)
    assert side._rolled          # SpooledTemporaryFile: now a real temporary file
    b"".join(archive.finish())


def test_add_file_streams_a_file_in_chunks():
    archive = ZipStream()
    out = list(archive.add_file("media/a.bin", (b"y" * 70_000 for _ in range(3))))
    out.extend(archive.finish())
    with zipfile.ZipFile(io.BytesIO(b"".join(out))) as z:
        assert z.read("media/a.bin") == b"y" * 210_000
