"""app.exports.zipping: a zip archive that streams while it is written, side tables spooled."""
import io
import os
import subprocess
import zipfile
import zlib

import pytest

from app.exports import zipping
from app.exports.deflated import deflate
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
    side.write(os.urandom(200_000))  # the spool keeps compressed bytes: incompressible ones
    assert side.file._rolled         # SpooledTemporaryFile: now a real temporary file
    with zipfile.ZipFile(io.BytesIO(b"".join(archive.finish()))) as z:
        assert z.testzip() is None


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



def _rows(tag, count):
    """CSV-ish text, distinct per tag, so pieces of it are unique inside an archive."""
    return b"".join(b"%s,%d,uuid:%s,Ann,,x\n" % (tag, i, os.urandom(4).hex().encode())
                    for i in range(count))


def _mixed_archive():
    """An archive of entries made of written text and precompressed pieces, every way round;
    returns (archive bytes, {name: content}, {name: [pieces]}, bytes streamed before finish)."""
    archive = ZipStream()
    out = []
    contents, pieces = {}, {}
    a, b, c, d, e = (_rows(tag, 3000) for tag in (b"a", b"b", b"c", b"d", b"e"))
    p1, p2, p3 = deflate(_rows(b"p1", 2000)), deflate(_rows(b"p2", 1)), deflate(_rows(b"p3", 2000))
    q1, q2 = deflate(_rows(b"q1", 2500)), deflate(_rows(b"q2", 2500), level=6)
    s1, s2 = deflate(_rows(b"s1", 1500)), deflate(_rows(b"s2", 1500))

    spooled = archive.spool("spooled-pieces.csv")
    spooled.write_piece(s1)
    spooled.write_piece(s2)
    contents["spooled-pieces.csv"] = zlib.decompress(s1.data + s2.data + b"\x03\x00", -15)
    pieces["spooled-pieces.csv"] = [s1, s2]
    spooled_mixed = archive.spool("spooled-mixed.csv")
    spooled_mixed.write(e)
    spooled_mixed.write_piece(q1)

    # written text, then pieces, then text again, then pieces last
    with archive.entry("mixed.csv") as entry:
        entry.write(a)
        entry.write_piece(p1)
        entry.write_piece(p2)
        entry.write(b)
        entry.write(c)
        entry.write_piece(p3)
    contents["mixed.csv"] = a + _rows_of(p1) + _rows_of(p2) + b + c + _rows_of(p3)
    pieces["mixed.csv"] = [p1, p2, p3]
    out.append(archive.take())
    with archive.entry("pieces-only.csv") as entry:
        entry.write_piece(q1)
        entry.write_piece(q2)
    contents["pieces-only.csv"] = _rows_of(q1) + _rows_of(q2)
    pieces["pieces-only.csv"] = [q1, q2]
    with archive.entry("empty.csv"):
        pass
    contents["empty.csv"] = b""
    with archive.entry("家庭成员/成员.csv") as entry:
        entry.write(d)
    contents["家庭成员/成员.csv"] = d
    out.append(archive.take())
    streamed = sum(map(len, out))
    out.extend(archive.finish())
    contents["spooled-mixed.csv"] = e + _rows_of(q1)
    archive.close()
    return b"".join(out), contents, pieces, streamed


def _rows_of(piece):
    return zlib.decompressobj(-15).decompress(piece.data)


def test_entries_of_text_and_pieces_read_back_in_zipfile():
    data, contents, _pieces, streamed = _mixed_archive()
    assert streamed > 0                     # the entries came out before finish()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        assert z.namelist() == ["mixed.csv", "pieces-only.csv", "empty.csv", "家庭成员/成员.csv",
                                "spooled-pieces.csv", "spooled-mixed.csv"]
        for name, content in contents.items():
            assert z.read(name) == content, name
            info = z.getinfo(name)
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert info.flag_bits & 0x808 == 0x808          # data descriptor, UTF-8 name
            assert info.external_attr == 0o644 << 16 and info.create_system == 3


def test_entries_of_text_and_pieces_pass_unzip_and_zipinfo(tmp_path):
    data, contents, _pieces, _streamed = _mixed_archive()
    path = tmp_path / "export.zip"
    path.write_bytes(data)
    tested = subprocess.run(["unzip", "-tq", str(path)], capture_output=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    listed = subprocess.run(["zipinfo", str(path)], capture_output=True)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert b"6 files" in listed.stdout
    for name in ("mixed.csv", "pieces-only.csv", "empty.csv", "spooled-mixed.csv"):
        assert subprocess.run(["unzip", "-p", str(path), name], capture_output=True,
                              check=True).stdout == contents[name]


def test_pieces_are_stored_as_they_are_not_deflated_again():
    data, _contents, pieces, _streamed = _mixed_archive()
    for name, stored in pieces.items():
        raw = _raw_entry(data, name)
        at = 0
        for piece in stored:                # each piece's bytes, in order, within the entry
            at = raw.index(piece.data, at) + len(piece.data)
    pieces_only = _raw_entry(data, "pieces-only.csv")
    q1, q2 = pieces["pieces-only.csv"]
    assert pieces_only == q1.data + q2.data + b"\x03\x00"   # and nothing but an empty last block


def test_an_archive_is_zip64_throughout():
    archive = ZipStream()
    with archive.entry("a.csv") as entry:
        entry.write(b"1,Ann\n")
    data = archive.take() + b"".join(archive.finish())
    assert b"PK\x06\x06" in data and b"PK\x06\x07" in data   # zip64 end record and locator
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.read("a.csv") == b"1,Ann\n"


def test_more_than_65535_entries_stay_readable():
    archive = ZipStream()
    empty = deflate(b"")
    for i in range(66_000):
        with archive.entry(f"{i}.csv", date_time=(2024, 5, 21, 12, 0, 0)) as entry:
            entry.write_piece(empty)
    data = archive.take() + b"".join(archive.finish())
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        assert len(names) == 66_000 and names[-1] == "65999.csv"
        assert z.read("65999.csv") == b""
        assert z.getinfo("65999.csv").date_time == (2024, 5, 21, 12, 0, 0)


def test_one_entry_is_open_at_a_time():
    archive = ZipStream()
    archive.entry("a.csv")
    with pytest.raises(ValueError):
        archive.entry("b.csv")
    with pytest.raises(ValueError):
        next(archive.finish())


def test_close_releases_the_spools_of_an_abandoned_archive():
    archive = ZipStream()
    side = archive.spool("side.csv")
    side.write(b"x" * 1000)
    archive.close()
    assert side.file.closed
