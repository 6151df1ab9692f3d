"""app.exports.deflated: precompressed deflate pieces, and the CRC arithmetic joining them."""
import os
import random
import zlib

import pytest

from app.exports.deflated import FINAL, Piece, crc32_combine, deflate, inflate, join

pytestmark = pytest.mark.database_independent


def _combined_matches(a, b):
    return crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def test_crc32_combine_equals_the_crc_of_the_concatenation_for_edge_lengths():
    for len_a, len_b in ((0, 0), (0, 1), (1, 0), (1, 1), (7, 1), (1, 4096),
                         (1000, 5_000_000), (0, 5_000_000)):
        assert _combined_matches(os.urandom(len_a), os.urandom(len_b)), (len_a, len_b)


def test_crc32_combine_equals_the_crc_of_the_concatenation_for_many_random_lengths():
    rng = random.Random(20240521)
    for _ in range(500):
        a = rng.randbytes(rng.choice((rng.randrange(0, 64), rng.randrange(0, 70_000))))
        b = rng.randbytes(rng.choice((rng.randrange(0, 64), rng.randrange(0, 70_000))))
        assert _combined_matches(a, b), (len(a), len(b))


def test_crc32_combine_of_nothing_appended_is_the_first_crc():
    assert crc32_combine(0xDEADBEEF, 0, 0) == 0xDEADBEEF
    assert crc32_combine(0, 0, 0) == 0


def test_final_is_what_a_compressor_emits_when_finished_with_nothing():
    # at levels 1-9 (level 0 ends with an empty stored block instead; FINAL ends its
    # pieces just as well: see the join test)
    for level in range(1, 10):
        assert zlib.compressobj(level, zlib.DEFLATED, -15).flush() == FINAL


def test_a_piece_is_an_unfinished_byte_aligned_stream_of_its_data():
    text = b"".join(b"%d,uuid:%s,Ann\n" % (i, os.urandom(4).hex().encode())
                    for i in range(5000))
    piece = deflate(text)
    assert piece == Piece(piece.data, len(text), zlib.crc32(text))
    assert piece.data.endswith(b"\x00\x00\xff\xff")      # the full flush's empty stored block
    reader = zlib.decompressobj(-15)
    assert reader.decompress(piece.data) == text
    assert not reader.eof                                # no final block: more may follow
    assert inflate(piece) == inflate(piece.data) == text


def test_pieces_made_apart_join_into_one_stream_ended_by_final():
    texts = [b"".join(b"%d,%d,Bob\n" % (n, i) for i in range(n * 300)) for n in range(6)]
    pieces = [deflate(t, level) for t, level in zip(texts, (1, 6, 9, 1, 0, 3))]
    pieces.insert(2, deflate(b""))                        # an empty piece changes nothing
    whole = join(pieces)
    assert whole.size == sum(map(len, texts))
    assert whole.crc == zlib.crc32(b"".join(texts))
    assert inflate(whole) == b"".join(texts)
    assert zlib.decompress(whole.data + FINAL, -15) == b"".join(texts)  # a complete stream


def test_an_empty_piece_is_empty():
    assert deflate(b"") == Piece(b"", 0, 0)
    assert inflate(deflate(b"")) == b""
    assert join([]) == Piece(b"", 0, 0)
