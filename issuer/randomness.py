"""Salts come from the operating system's CSPRNG, read in blocks rather than 16 bytes at a time.

A credential has a dozen or more Disclosures, each with a fresh 128-bit salt (RFC 9901
§4.2.1, §9.3); one ``os.urandom`` system call per salt cost as much as the hashing of the
whole credential. Reading 4 KiB at a time and handing out each byte exactly once keeps the
same source and the same guarantee. The buffer is dropped when the process id changes, so
a worker forked after the buffer was filled never reuses its parent's bytes.
"""

from __future__ import annotations

import os

BLOCK_BYTES = 4096


class BufferedUrandom:
    """A ``random_bytes(n)`` callable over ``os.urandom``, each byte used once."""

    def __init__(self, block: int = BLOCK_BYTES) -> None:
        self._block = block
        self._buffer = b""
        self._offset = 0
        self._pid = os.getpid()

    def __call__(self, count: int) -> bytes:
        if count > self._block:
            return os.urandom(count)
        pid = os.getpid()
        if pid != self._pid or self._offset + count > len(self._buffer):
            self._buffer, self._offset, self._pid = os.urandom(self._block), 0, pid
        start = self._offset
        self._offset = start + count
        return self._buffer[start : start + count]
