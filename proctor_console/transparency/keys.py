"""The result log's Ed25519 signing key, ``keys/log.key``, beside the bank's keys.

The log key signs every tree head the log publishes; observers pin its public key
(``GET /api/log/pubkey``) and a head signed by any other key fails their check. It is a
separate key from the bank's ``bank.key`` (which signs sealed packages): the exam server
holds the log key while it runs, and the bank key should not be on that machine at all.

``keys/log.key`` is PEM PKCS#8, no password, mode 0600, made by ``seleksi keys init`` or on
first use. It is written to a temporary file first and then hard-linked into place, so two
server processes starting together never read a half-written key: one link wins, the other
finds it there and reads the winner's key. An existing key is never overwritten (a new key
would make every observer's pinned key useless).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from question_bank.errors import BankError
from question_bank.keys import _read_private, _write_new

LOG_KEY = "log.key"


def ensure_log_key(folder: Path) -> bool:
    """Make ``folder/log.key`` unless it is there; return whether it was made now.

    Raises
    ------
    BankError
        The folder or the file cannot be written.
    """
    folder = Path(folder)
    path = folder / LOG_KEY
    if path.exists():
        return False
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    draft = folder / f".{LOG_KEY}.{secrets.token_hex(8)}.tmp"
    _write_new(draft, pem)  # 0600, fsynced
    try:
        os.link(draft, path)  # atomic; fails if another process made it meanwhile
    except FileExistsError:
        return False
    except OSError as exc:
        raise BankError(f"{path}: cannot create ({exc.strerror})") from exc
    finally:
        draft.unlink(missing_ok=True)
    return True


def load_log_key(folder: Path) -> Ed25519PrivateKey:
    """The log's signing key from ``folder/log.key``, made there first if it is missing.

    Raises
    ------
    BankError
        The file is readable by others (with the ``chmod`` that fixes it), is not an
        unencrypted PEM Ed25519 private key, or cannot be made.
    """
    ensure_log_key(folder)
    path = Path(folder) / LOG_KEY
    data = _read_private(path)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise BankError(f"{path} is not an unencrypted PEM private key: the result log "
                        "cannot sign its tree heads; restore the log's key from backup") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BankError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key
