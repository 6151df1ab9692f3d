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
import collections
import tempfile
import time
import zipfile
import zlib

from app.exports.cooperative import real_thread

#: bytes of a spooled table kept in memory before it moves to a temporary file
SPOOL_MEMORY = 1 << 20
#: bytes read from a spool (or a media file) at a time when it is copied into the archive
COPY_CHUNK = 1 << 16
#: zlib level: 1 deflates CSV text two to three times faster than the default 6 (Central's),
#: for a zip about 40 % bigger (bench/export_inprocess.py --zip-variants); exports are
#: CPU-bound, not network-bound
COMPRESS_LEVEL = 1
#: whether entries are deflated on a thread of their own (see ZipStream): off, because on
#: this shared 2-core machine it was measured to gain no wall time (there was no idle core
#: for it) for about 6 % more CPU in all (docs/exports.md); turn on where a core is free
THREADED = False
#: bytes of an entry gathered before they are handed to the deflate thread (a hand-off costs
#: tens of µs; 64 kB pieces made threaded deflate slower than inline, docs/exports.md)
DEFLATE_BLOCK = 1 << 19
#: blocks handed over and not yet compressed before the writer waits (memory: this many
#: blocks, whatever the entry's size)
DEFLATE_AHEAD = 2


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

    def __init__(self, compresslevel=None, threaded=None):
        self._level = COMPRESS_LEVEL if compresslevel is None else compresslevel
        # deflate on a real thread of its own (zlib lets go of the GIL while it compresses),
        # so it runs on the other core while this one reads and writes the rows
        self._thread = real_thread() if (THREADED if threaded is None else threaded) else None
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
        # the archive's: set here (until 2026-12-05 every entry was deflated at 6)
        info._compresslevel = self._level
        info.external_attr = 0o644 << 16
        # force_zip64: the size is unknown while streaming and may pass 4 GB
        out = self._zip.open(info, "w", force_zip64=True)
        if self._thread is not None:
            # zipfile asks its compressor only for compress() and flush() and counts the bytes
            # they return, so one that returns them later (from the thread) is the same to it
            out._compressor = _ThreadedDeflate(self._level, self._thread)
        return out

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
        """Release the spools and the deflate thread (also after an abandoned download: the
        archive is then left unfinished)."""
        for _name, spool in self._spools:
            spool.close()
        self._spools.clear()
        if self._thread is not None:
            self._thread.close()
            self._thread = None


class _ThreadedDeflate:
    """A raw-deflate compressor (what zipfile uses for ZIP_DEFLATED) whose work runs on
    `thread` (cooperative.real_thread()): compress() gathers DEFLATE_BLOCK bytes, hands them
    over and returns whatever earlier blocks have come back compressed; flush() waits for the
    rest. Blocks are compressed in order by one compressor on one thread, so the stream is
    the one inline deflate would make of the same bytes."""

    def __init__(self, level, thread):
        self._deflate = zlib.compressobj(level, zlib.DEFLATED, -15)
        self._thread = thread
        self._gathered = []
        self._size = 0
        self._pending = collections.deque()

    def compress(self, data):
        self._gathered.append(bytes(data))
        self._size += len(data)
        if self._size < DEFLATE_BLOCK:
            return b""
        self._hand_over()
        done = []
        pending = self._pending
        while pending and (len(pending) > DEFLATE_AHEAD or pending[0].ready()):
            done.append(pending.popleft().get())
        return b"".join(done)

    def _hand_over(self):
        if self._gathered:
            block = b"".join(self._gathered)
            self._gathered.clear()
            self._size = 0
            self._pending.append(self._thread.run(self._deflate.compress, block))

    def flush(self):
        self._hand_over()
        done = [p.get() for p in self._pending]
        self._pending.clear()
        done.append(self._thread.run(self._deflate.flush).get())
        return b"".join(done)

