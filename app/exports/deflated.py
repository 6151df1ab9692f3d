"""Precompressed pieces of a deflate stream, and the CRC arithmetic that joins them.

A `Piece` is a block of raw deflate data (no zlib or gzip wrapper) computed once, stored,
and later concatenated with other pieces into one zip entry without deflating again. That
works because each piece is made by a fresh compressor and ends with a Z_FULL_FLUSH: it is
byte-aligned, refers back to nothing outside itself, and does not set BFINAL, so pieces
(and a live compressor's output, once it is full-flushed too) can follow each other in any
order. A stream of pieces is ended by `FINAL`, an empty last block.

The entry's CRC-32 is combined from the pieces' CRCs with `crc32_combine` (zlib's own is
not exposed by Python's zlib module), so the uncompressed bytes are never needed again.

    a, b = deflate(b"1,Ann\\n"), deflate(b"2,Bob\\n")
    whole = join([a, b])           # whole.data + FINAL is a complete raw deflate stream
    inflate(whole) == b"1,Ann\\n2,Bob\\n"
"""
import zlib
from typing import NamedTuple


class Piece(NamedTuple):
    """Raw deflate data ending in a full flush, with its uncompressed length and CRC-32."""
    data: bytes
    size: int
    crc: int


#: an empty final block (BFINAL set, fixed Huffman codes, just the end-of-block code): what
#: zlib.compressobj(level, DEFLATED, -15).flush() emits when given nothing at levels 1-9
#: (level 0 emits an empty *stored* final block, 01 00 00 ff ff), and what ends a
#: stream whose last bits were a full flush (so byte-aligned)
FINAL = b"\x03\x00"


def deflate(data, level=1):
    """`data` as a Piece deflated at `level` by a fresh compressor (no back-references to
    anything before it)."""
    if not data:
        # nothing to flush: an empty piece joins anything and changes nothing
        return Piece(b"", 0, 0)
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    out = compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)
    return Piece(out, len(data), zlib.crc32(data))


def inflate(piece):
    """The uncompressed bytes of a Piece (or of raw deflate bytes, finished or not)."""
    data = piece.data if isinstance(piece, Piece) else piece
    # a decompressobj, not zlib.decompress: a piece has no final block, so the stream is
    # unfinished, which zlib.decompress refuses
    return zlib.decompressobj(-15).decompress(data)


def join(pieces):
    """The pieces concatenated: one Piece whose data is theirs in order."""
    data, size, crc = [], 0, 0
    for piece in pieces:
        data.append(piece.data)
        crc = crc32_combine(crc, piece.crc, piece.size)
        size += piece.size
    return Piece(b"".join(data), size, crc)


# CRC-32 combination as zlib >= 1.2.12 does it: CRCs are polynomials over GF(2) modulo P
# (reflected: bit 31 is x^0); appending len2 bytes multiplies crc1 by x^(8*len2) mod P, got
# from the table of x^(2^k) mod P in O(log len2) multiplications.
_POLY = 0xEDB88320


def _multmodp(a, b):
    """a * b mod P (reflected polynomials; a must not be 0)."""
    m = 1 << 31
    p = 0
    while True:
        if a & m:
            p ^= b
            if not a & (m - 1):
                return p
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1


def _x2n_table():
    table = []
    p = 1 << 30                         # x^1
    for _ in range(32):
        table.append(p)
        p = _multmodp(p, p)             # x^(2^(k+1)) = (x^(2^k))^2
    return table


#: _X2N[k] = x^(2^k) mod P
_X2N = _x2n_table()


def _x2nmodp(n, k):
    """x^(n * 2^k) mod P."""
    p = 1 << 31                         # x^0
    while n:
        if n & 1:
            p = _multmodp(_X2N[k & 31], p)
        n >>= 1
        k += 1
    return p


def crc32_combine(crc1, crc2, len2):
    """The CRC-32 of A + B, given crc1 = crc32(A), crc2 = crc32(B) and len2 = len(B)."""
    if not len2:
        return crc1
    # k = 3: len2 bytes are 8 * len2 = len2 * 2^3 bits
    return _multmodp(_x2nmodp(len2, 3), crc1) ^ crc2
