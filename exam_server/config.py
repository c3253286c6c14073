"""Where an instance keeps its state: the SELEKSI_INSTANCE folder (database, keys, media)."""

from __future__ import annotations

import os
import secrets
from functools import cache
from pathlib import Path


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
    path = folder / "pin.key"
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32) + "\n")
    text = path.read_text(encoding="ascii").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ValueError(f"{path}: not a PIN key (64 hex digits); delete it and issue PINs again")
    return key
