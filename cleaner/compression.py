"""Compressed inputs and outputs: gzip and zstd, told by the file name or the first bytes.

Inputs are decompressed as a stream, stopped as a bomb once the output passes both a floor and
`ratio` times the compressed bytes read (text compresses 3-10x, a bomb 1000x). Outputs are
written as segments, one gzip member or zstd frame per checkpoint: a segment ends where the
checkpoint cuts the file, so a resumed run appends to a valid file, and the concatenation of
segments is one file any gzip or zstd tool reads.
"""
from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import zstandard

CODECS = ("", "gzip", "zstd")  # "": none
SUFFIXES = {"gzip": ".gz", "zstd": ".zst"}
_MAGIC = {"gzip": b"\x1f\x8b", "zstd": b"\x28\xb5\x2f\xfd"}
ERRORS = (EOFError, gzip.BadGzipFile, zlib.error, zstandard.ZstdError)  # a damaged compressed input


class DecompressionBomb(OSError):
    """A compressed input expands far beyond what text compresses to."""

    def __init__(self, codec: str, message: str):
        super().__init__(message)
        self.codec = codec


def codec_of(name: str, head: bytes) -> str | None:
    """The codec of an input by its suffix, else by its magic bytes (None: not compressed)."""
    for codec, suffix in SUFFIXES.items():
        if name.endswith(suffix) or head.startswith(_MAGIC[codec]):
            return codec
    return None


def strip_suffix(name: str) -> str:
    """The name without a compression suffix (`a.jsonl.zst` -> `a.jsonl`)."""
    for suffix in SUFFIXES.values():
        if name.endswith(suffix):
            return name[:-len(suffix)]
    return name


class _Counting(io.RawIOBase):
    def __init__(self, raw: BinaryIO):
        self._raw, self.count = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._raw.read(len(buffer))
        buffer[:len(data)] = data
        self.count += len(data)
        return len(data)


class Bounded(io.RawIOBase):
    """A compressed stream's decompressed bytes, stopped with DecompressionBomb once they pass
    both `floor` bytes and `ratio` times the compressed bytes read."""

    def __init__(self, raw: BinaryIO, codec: str, ratio: int, floor: int):
        self._codec, self._ratio, self._floor = codec, ratio, floor
        self._counter = _Counting(raw)
        self._inner = gzip.GzipFile(fileobj=self._counter, mode="rb") if codec == "gzip" else _Zstd(self._counter)
        self._out = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._inner.readinto(buffer)
        self._out += n
        if self._out > self._floor and self._out > self._ratio * max(1, self._counter.count):
            raise DecompressionBomb(self._codec, f"expands over {self._ratio}x (input.max_gzip_ratio) "
                                                 f"past {self._floor} bytes")
        return n


class _Zstd(io.RawIOBase):
    """Concatenated zstd frames, decompressed; a frame cut short is an error (zstandard's own
    stream reader returns what it has and stops, as if the input were whole). Input goes to the
    decompressor FEED bytes at a time, so a bomb's output arrives in bounded pieces."""

    FEED = 1024

    def __init__(self, raw: BinaryIO):
        self._raw, self._obj, self._open = raw, None, False
        self._input, self._at = b"", 0  # compressed bytes not yet fed
        self._pending, self._pos = b"", 0  # decompressed bytes not yet read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self._pos >= len(self._pending):
            if self._at >= len(self._input):
                self._input, self._at = self._raw.read(1 << 16), 0
                if not self._input:
                    if self._open:
                        raise zstandard.ZstdError("the compressed input ends inside a frame (cut short)")
                    return 0
            piece = self._input[self._at:self._at + self.FEED]
            self._at += len(piece)
            if self._obj is None:
                self._obj = zstandard.ZstdDecompressor().decompressobj()
            self._pending, self._pos = self._obj.decompress(piece), 0
            self._open = not self._obj.eof
            if self._obj.eof:  # the rest of the piece starts the next frame
                self._at -= len(self._obj.unused_data)
                self._obj = None
        n = min(len(buffer), len(self._pending) - self._pos)
        buffer[:n] = self._pending[self._pos:self._pos + n]
        self._pos += n
        return n


class SegmentWriter:
    """Compresses what is written; `end()` closes the current segment (a gzip member, a zstd
    frame) and returns its last bytes."""

    def __init__(self, codec: str):
        self._codec = codec
        self._obj = self._new()

    def _new(self):
        if self._codec == "gzip":
            return zlib.compressobj(6, zlib.DEFLATED, 31)  # gzip wrapping, mtime 0: deterministic
        return zstandard.ZstdCompressor(level=3).compressobj()

    def compress(self, data: bytes) -> bytes:
        return self._obj.compress(data)

    def end(self) -> bytes:
        tail = self._obj.flush()
        self._obj = self._new()
        return tail


def decompressed(chunks: Iterable[bytes], codec: str) -> Iterator[bytes]:
    """The bytes of concatenated segments of `codec`, chunk by chunk (a segment cut short is
    an error)."""
    raw = _Chunks(iter(chunks))
    reader = gzip.GzipFile(fileobj=raw, mode="rb") if codec == "gzip" else _Zstd(raw)
    while data := reader.read(1 << 16):
        yield data


class _Chunks(io.RawIOBase):
    """An iterator of byte strings as a stream."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks, self._rest = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if not self._rest:
            self._rest = next(self._chunks, b"")
        n = min(len(buffer), len(self._rest))
        buffer[:n], self._rest = self._rest[:n], self._rest[n:]
        return n
