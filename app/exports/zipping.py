"""A zip archive written as a stream: bytes come out while entries are still being written.

Python's zipfile writes to an unseekable sink by itself (data descriptors after each entry,
no seeking back), so `ZipStream` hands it a sink that only collects bytes, and `take()` hands
them on, so a response generator yields the archive piece by piece and memory holds one
piece at a time.

Zip entries cannot interleave, but an export's tables are written interleaved (a household's
members are read while the households' table is being written). So one entry is written
straight into the archive (`entry`), and every other table goes to a spool (`spool`): a
tempfile.SpooledTemporaryFile that stays in memory while small and moves to disk beyond
SPOOL_MEMORY bytes; `finish()` then copies each spool into the archive in the order spooled,
in COPY_CHUNK pieces, yielding as it goes. Memory stays flat whatever the row count.

    z = ZipStream()
    with z.entry("form.csv") as root:           # a binary file object
        for … : root.write(b"…"); yield z.take()
    members = z.spool("form-member.csv")        # a binary file object
    …
    yield from z.finish()                        # spools, then the central directory
"""
import tempfile
import time
import zipfile

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


class ZipStream:
    """A streaming zip archive: see the module docstring."""

    def __init__(self, compresslevel=None):
        self._level = COMPRESS_LEVEL if compresslevel is None else compresslevel
        self._sink = Sink()
        self._zip = zipfile.ZipFile(self._sink, "w", compression=zipfile.ZIP_DEFLATED,
                                    compresslevel=self._level, allowZip64=True)
        self._spools = []
        self._closed = False

    @property
    def pending(self):
        """Bytes written and not yet taken."""
        return self._sink.size

    def take(self):
        """The archive's bytes written since the last take (b"" when none)."""
        data = self._sink.take()
        self._sink.size = 0
        return data

    def entry(self, name, date_time=None):
        """A binary file object writing entry `name` straight into the archive; close it (or
        use it as a context manager) before opening another entry."""
        info = zipfile.ZipInfo(name, date_time=date_time or time.gmtime()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        # zipfile.open() leaves a given ZipInfo's level unset, which is zlib's default (6), not
        # the archive's: set here, or COMPRESS_LEVEL applies to no entry
        info._compresslevel = self._level
        info.external_attr = 0o644 << 16
        # force_zip64: the size is unknown while streaming and may pass 4 GB
        return self._zip.open(info, "w", force_zip64=True)

    def spool(self, name):
        """A binary file object for entry `name`, kept aside and added by finish()."""
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)
        self._spools.append((name, spool))
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
        for name, spool in self._spools:
            spool.seek(0)
            with self.entry(name) as out:
                while True:
                    chunk = spool.read(COPY_CHUNK)
                    if not chunk:
                        break
                    out.write(chunk)
                    if self._sink.size >= COPY_CHUNK:
                        yield self.take()
            spool.close()
            yield self.take()
        self._spools.clear()
        self._zip.close()
        self._closed = True
        yield self.take()

    def close(self):
        """Release the spools (also after an abandoned download: the archive is then left
        unfinished)."""
        for _name, spool in self._spools:
            spool.close()
        self._spools.clear()

