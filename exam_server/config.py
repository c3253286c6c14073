"""Where an instance keeps its state: the SELEKSI_INSTANCE folder (database, keys, media)."""

from __future__ import annotations

import os
from pathlib import Path


def instance_path() -> Path:
    """The instance folder: ``$SELEKSI_INSTANCE``, default ``./instance``."""
    return Path(os.environ.get("SELEKSI_INSTANCE", "instance")).resolve()


def keys_path() -> Path:
    """The folder with the bank's signing key and the master secret (mode 0700)."""
    return instance_path() / "keys"
