"""The buffered CSPRNG hands out every byte once, and never a parent's bytes after a fork."""

from __future__ import annotations

import os

import pytest

from issuer.randomness import BufferedUrandom


def test_bytes_are_never_handed_out_twice() -> None:
    source = BufferedUrandom(block=64)
    chunks = [source(16) for _ in range(40)]  # crosses several refills
    assert all(len(chunk) == 16 for chunk in chunks)
    assert len(set(chunks)) == 40
    assert len(source(100)) == 100  # larger than a block: read directly


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_refills_instead_of_reusing_the_parents_buffer() -> None:
    source = BufferedUrandom()
    source(16)  # the buffer is now filled in the parent
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next 16 bytes
        os.close(read)
        os.write(write, source(16))
        os._exit(0)
    os.close(write)
    child = os.read(read, 16)
    os.close(read)
    os.waitpid(pid, 0)
    assert child != source(16)
