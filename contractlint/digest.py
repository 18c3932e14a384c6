"""The digest files are compared by: the result cache's keys, the dependencies a result
records, and the check that a file shown in a report is still the one linted. A leaf
module (the standard library only), so every layer can use it."""

from __future__ import annotations

import os
from pathlib import Path

try:
    from _blake2 import blake2b  # hashlib's own, without importing OpenSSL's bindings at start-up
except ImportError:  # pragma: no cover - an interpreter without the module: the same algorithm
    from hashlib import blake2b


def content_digest(data: bytes) -> str:
    """128 bits of BLAKE2b of ``data``, in hex."""
    return blake2b(data, digest_size=16).hexdigest()


def file_digest(path: Path | str) -> str | None:
    """The digest of a regular file's content; None when there is none to read."""
    try:
        # Checked before opening: opening a FIFO would block.
        if not os.path.isfile(path):
            return None
        with open(path, "rb") as handle:
            return content_digest(handle.read())
    except OSError:
        return None
