"""Where an instance keeps its state: the SELEKSI_INSTANCE folder (database, keys, media)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from question_bank.keys import ensure_secret


def instance_path() -> Path:
    """The instance folder: ``$SELEKSI_INSTANCE``, default ``./instance``."""
    return Path(os.environ.get("SELEKSI_INSTANCE", "instance")).resolve()


def keys_path() -> Path:
    """The folder with the bank's signing key and the master secret (mode 0700)."""
    return instance_path() / "keys"


def pin_key(folder: Path | None = None) -> bytes:
    """The instance's PIN key (``keys/pin.key``, 0600), made on first use.

    ``folder`` defaults to :func:`keys_path`. Every server process of a site reads the same
    file; a regional cluster copies it to each machine like the other keys.
    """
    return _pin_key((folder or keys_path()).resolve())


@cache
def _pin_key(folder: Path) -> bytes:
    return ensure_secret(folder / "pin.key")
