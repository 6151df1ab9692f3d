"""app.exports.zipping: a zip archive that streams while it is written, side tables spooled."""
import io
import os
import zipfile
import zlib

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


def _raw_entry(data, name):
    """The compressed bytes of entry `name` as stored in the archive `data`."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo(name)
    # local header: 30 bytes, then the name and the extra field
    start = info.header_offset
    name_length = int.from_bytes(data[start + 26:start + 28], "little")
    extra_length = int.from_bytes(data[start + 28:start + 30], "little")
    begin = start + 30 + name_length + extra_length
    return data[begin:begin + info.compress_size]


def test_entries_are_deflated_at_the_archives_level():
    # zipfile.open() with a ZipInfo leaves its level at zlib's default (6): the archive's level
    # must be set on each entry
    text = b"".join(b"%d,uuid:%s,Ann,,x\n" % (i, os.urandom(4).hex().encode())
                    for i in range(120_000))
    archive = ZipStream(compresslevel=1)
    pieces = []
    with archive.entry("main.csv") as main:
        for at in range(0, len(text), 1 << 16):
            main.write(text[at:at + (1 << 16)])
            pieces.append(archive.take())
    side = archive.spool("side.csv")
    side.write(text[:300_000])
    pieces.extend(archive.finish())
    archive.close()
    data = b"".join(pieces)
    for name, content in (("main.csv", text), ("side.csv", text[:300_000])):
        level_1 = zlib.compressobj(1, zlib.DEFLATED, -15)
        level_6 = zlib.compressobj(6, zlib.DEFLATED, -15)
        raw = _raw_entry(data, name)
        assert raw == level_1.compress(content) + level_1.flush()
        assert raw != level_6.compress(content) + level_6.flush()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None and z.read("main.csv") == text

