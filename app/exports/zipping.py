"""A zip archive written as a stream: bytes come out while entries are still being written.

We write the zip container ourselves (PKWARE APPNOTE, a few struct.pack calls) rather than
through zipfile because an entry may be assembled from precompressed pieces
(app.exports.deflated): blocks of raw deflate data computed once and stored, appended to the
entry as they are, never deflated again. zipfile only takes uncompressed data and deflates it
itself. Entries are streamed (general-purpose flag bit 3): crc and sizes follow the data in a
data descriptor, so nothing is ever sought back to, and `take()` hands the bytes written so far
on, so a response generator yields the archive piece by piece and memory holds one piece at a
time. Every entry is zip64 (sizes are unknown while streaming and may pass 4 GB), and the
archive ends with zip64 end records, so more than 4 GB or 65535 entries stay valid.

Zip entries cannot interleave, but an export's tables are written interleaved (a household's
members are read while the households' table is being written). So one entry is written
straight into the archive (`entry`), and every other table goes to a spool (`spool`): its
*compressed* bytes are kept in a tempfile.SpooledTemporaryFile that stays in memory while
small and moves to disk beyond SPOOL_MEMORY bytes; `finish()` then copies each spool into the
archive in the order spooled, in COPY_CHUNK pieces, yielding as it goes. Memory stays flat
whatever the row count.

    z = ZipStream()
    with z.entry("form.csv") as root:           # write(bytes), write_piece(Piece)
        for … : root.write(b"…"); yield z.take()
    members = z.spool("form-member.csv")        # write(bytes), write_piece(Piece)
    …
    yield from z.finish()                        # spools, then the central directory
"""
import struct
import tempfile
import time
import zlib

from app.exports.deflated import crc32_combine

#: bytes of a spooled table kept in memory before it moves to a temporary file
SPOOL_MEMORY = 1 << 20
#: bytes read from a spool (or a media file) at a time when it is copied into the archive
COPY_CHUNK = 1 << 16
#: zlib level: 1 deflates CSV text much faster than the default 6 (Central's), for a somewhat
#: bigger zip (docs/exports.md, bench/export_inprocess.py --zip-variants); exports are
#: CPU-bound, not network-bound
COMPRESS_LEVEL = 1


class Sink:
    """What zipfile writes to: collects bytes until taken. Not seekable, on purpose (zipfile
    then writes data descriptors instead of seeking back); the workbook writes through one
    too."""

    def __init__(self):
        self.parts = []
        self.size = 0

    def write(self, data):
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self):
        pass

    def take(self):
        data = b"".join(self.parts)
        self.parts.clear()
        return data


# Zip records (APPNOTE 4.3). Version 4.5 (45) is zip64's; "made by" 3 is unix, so unzip
# applies external_attr's permissions.
_VERSION = 45
_MADE_BY = 3 << 8 | _VERSION
_FLAGS = 1 << 3 | 1 << 11              # data descriptor follows; the name is UTF-8
_DEFLATED = 8
_ZIP64_EXTRA = 0x0001
_UNKNOWN = 0xFFFFFFFF                  # "see the zip64 extra field"
_MODE = 0o644 << 16

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_LOCAL_EXTRA = struct.Struct("<HHQQ")
_DESCRIPTOR = struct.Struct("<IIQQ")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_CENTRAL_EXTRA = struct.Struct("<HHQQQ")
_END64 = struct.Struct("<IQHHIIQQQQ")
_LOCATOR64 = struct.Struct("<IIQI")
_END = struct.Struct("<IHHHHIIH")


def _dos_time(date_time):
    """(DOS time, DOS date) of a (year, month, day, hour, minute, second) tuple."""
    year, month, day, hour, minute, second = date_time
    year = min(max(year, 1980), 2107)  # what a DOS date can hold
    return hour << 11 | minute << 5 | second // 2, (year - 1980) << 9 | month << 5 | day


class _Deflating:
    """One entry's body as it is written: deflated by one streaming compressor, with
    precompressed pieces appended between its full flushes; keeps the crc and sizes."""

    def __init__(self, level, out):
        self._out = out                # takes the compressed bytes
        self._compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
        self._unflushed = False        # write() input not yet full-flushed
        self.crc = 0
        self.size = 0                  # uncompressed
        self.compressed = 0

    def _emit(self, data):
        if data:
            self._out(data)
            self.compressed += len(data)

    def write(self, data):
        """Deflate `data` into the entry."""
        if data:
            self.crc = zlib.crc32(data, self.crc)
            self.size += len(data)
            self._emit(self._compressor.compress(data))
            self._unflushed = True
        return len(data)

    def write_piece(self, piece):
        """Append a precompressed deflated.Piece as it is."""
        if self._unflushed:
            # byte-align the stream and drop back-references, so the piece can follow
            self._emit(self._compressor.flush(zlib.Z_FULL_FLUSH))
            self._unflushed = False
        self._emit(piece.data)
        self.crc = crc32_combine(self.crc, piece.crc, piece.size)
        self.size += piece.size

    def _end(self):
        # a final block (after pieces only, an empty one: deflated.FINAL)
        self._emit(self._compressor.flush(zlib.Z_FINISH))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Entry(_Deflating):
    """An entry written straight into the archive."""

    def __init__(self, archive, record):
        super().__init__(archive._level, archive._write)
        self._archive = archive
        self._record = record
        self.closed = False

    def close(self):
        """End the entry: the final block, then the data descriptor."""
        if not self.closed:
            self.closed = True
            self._end()
            self._archive._end_entry(self._record, self)


class _Spool(_Deflating):
    """An entry kept aside, compressed, in `file` (a SpooledTemporaryFile) until finish()."""

    def __init__(self, level, name):
        self.file = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)
        super().__init__(level, self.file.write)
        self.name = name
        self.date_time = time.gmtime()[:6]

    def close(self):
        """Nothing to do: finish() ends the spool (close() of the archive releases it)."""


class ZipStream:
    """A streaming zip archive: see the module docstring."""

    def __init__(self, compresslevel=None):
        self._level = COMPRESS_LEVEL if compresslevel is None else compresslevel
        self._sink = Sink()
        self._offset = 0               # archive bytes written so far
        self._records = []             # [name, dos time, dos date, offset, entry]
        self._open = None
        self._spools = []

    @property
    def pending(self):
        """Bytes written and not yet taken."""
        return self._sink.size

    def take(self):
        """The archive's bytes written since the last take (b"" when none)."""
        data = self._sink.take()
        self._sink.size = 0
        return data

    def _write(self, data):
        self._sink.write(data)
        self._offset += len(data)

    def _start_entry(self, name, date_time):
        if self._open is not None and not self._open.closed:
            raise ValueError("another entry is still open: close it first")
        encoded = name.encode("utf-8")
        dos_time, dos_date = _dos_time(date_time or time.gmtime()[:6])
        record = [encoded, dos_time, dos_date, self._offset, None]
        # crc and sizes follow in the data descriptor; as zipfile writes a streamed zip64
        # entry: crc 0, sizes "see zip64 extra", and an extra field of zero sizes
        extra = _LOCAL_EXTRA.pack(_ZIP64_EXTRA, _LOCAL_EXTRA.size - 4, 0, 0)
        self._write(_LOCAL.pack(0x04034B50, _VERSION, _FLAGS, _DEFLATED, dos_time, dos_date,
                                0, _UNKNOWN, _UNKNOWN, len(encoded), len(extra)))
        self._write(encoded)
        self._write(extra)
        return record

    def _end_entry(self, record, body):
        self._write(_DESCRIPTOR.pack(0x08074B50, body.crc, body.compressed, body.size))
        record[4] = body
        self._records.append(record)

    def entry(self, name, date_time=None):
        """A writer of entry `name` straight into the archive (write, write_piece); close it
        (or use it as a context manager) before opening another entry."""
        record = self._start_entry(name, date_time)
        self._open = _Entry(self, record)
        return self._open

    def spool(self, name):
        """A writer of entry `name` (write, write_piece), kept aside and added by finish()."""
        spool = _Spool(self._level, name)
        self._spools.append(spool)
        return spool

    def add_file(self, name, chunks, date_time=None):
        """Write entry `name` from an iterable of byte strings, yielding archive bytes."""
        with self.entry(name, date_time) as out:
            for chunk in chunks:
                out.write(chunk)
                if self._sink.size >= COPY_CHUNK:
                    yield self.take()
        yield self.take()

    def finish(self):
        """Copy the spools into the archive, write the central directory; yields bytes."""
        if self._open is not None and not self._open.closed:
            raise ValueError("an entry is still open: close it before finish()")
        for spool in self._spools:
            spool._end()
            record = self._start_entry(spool.name, spool.date_time)
            spool.file.seek(0)
            while chunk := spool.file.read(COPY_CHUNK):
                self._write(chunk)
                if self._sink.size >= COPY_CHUNK:
                    yield self.take()
            spool.file.close()
            self._end_entry(record, spool)
            yield self.take()
        self._spools.clear()
        self._write_central_directory()
        yield self.take()

    def _write_central_directory(self):
        start = self._offset
        for encoded, dos_time, dos_date, offset, body in self._records:
            # every size and the offset in the zip64 extra: any of them may pass 4 GB
            extra = _CENTRAL_EXTRA.pack(_ZIP64_EXTRA, _CENTRAL_EXTRA.size - 4, body.size,
                                        body.compressed, offset)
            self._write(_CENTRAL.pack(0x02014B50, _MADE_BY, _VERSION, _FLAGS, _DEFLATED,
                                      dos_time, dos_date, body.crc, _UNKNOWN, _UNKNOWN,
                                      len(encoded), len(extra), 0, 0, 0, _MODE, _UNKNOWN))
            self._write(encoded)
            self._write(extra)
        count, size, end64 = len(self._records), self._offset - start, self._offset
        self._write(_END64.pack(0x06064B50, _END64.size - 12, _MADE_BY, _VERSION, 0, 0,
                                count, count, size, start))
        self._write(_LOCATOR64.pack(0x07064B50, 0, end64, 1))
        # the classic record holds what fits; readers take the rest from the zip64 record
        self._write(_END.pack(0x06054B50, 0, 0, min(count, 0xFFFF), min(count, 0xFFFF),
                              min(size, _UNKNOWN), min(start, _UNKNOWN), 0))

    def close(self):
        """Release the spools (also after an abandoned download: the archive is then left
        unfinished)."""
        for spool in self._spools:
            spool.file.close()
        self._spools.clear()
