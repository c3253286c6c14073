"""The bank's keys: an Ed25519 signing key and the master secret of every release key.

``seleksi keys init`` writes, into ``$SELEKSI_INSTANCE/keys/``:

- ``bank.key``: the Ed25519 private key, PEM PKCS#8, no password (mode 0600);
- ``bank.pub``: its public key, PEM SubjectPublicKeyInfo (mode 0600 too; share it freely);
- ``master.secret``: 32 random bytes as 64 hex digits and a newline (mode 0600).

The folder is made with mode 0700. Files are created with ``O_CREAT | O_EXCL`` so an
existing key is never overwritten: a lost master secret loses every release key of every
package sealed with it. Loading a private file that others can read (any group or other
permission bit) is refused, as ssh does, with the ``chmod`` that fixes it. Keys are never
printed or logged; errors name files, never contents.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from question_bank.errors import BankError

SIGNING_KEY = "bank.key"
PUBLIC_KEY = "bank.pub"
MASTER_SECRET = "master.secret"  # noqa: S105 (a file name)
RUN_INIT = "run `seleksi keys init` to make the bank's keys"


def init_keys(folder: Path) -> None:
    """Write a new signing key, its public key and a master secret into ``folder``.

    Raises
    ------
    BankError
        One of the three files already exists (nothing is written), or a file cannot be made.
    """
    folder = Path(folder)
    for name in (SIGNING_KEY, PUBLIC_KEY, MASTER_SECRET):
        if (folder / name).exists():
            raise BankError(f"{folder / name} already exists: refusing to overwrite the bank's "
                            f"keys (a lost master secret loses every release key); move the "
                            f"old keys away first if you really mean to replace them")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    master = (secrets.token_bytes(32).hex() + "\n").encode("ascii")
    for name, content in ((MASTER_SECRET, master), (SIGNING_KEY, private), (PUBLIC_KEY, public)):
        try:
            _write_new(folder / name, content)
        except FileExistsError:
            raise BankError(f"{folder / name} already exists: refusing to overwrite it") from None


def ensure_secret(path: Path) -> bytes:
    """The 32-byte secret in ``path`` (64 hex digits, mode 0600), made there if it is missing.

    For secrets a server may create on first use (the PIN key); two processes racing to
    create it end up reading the same one.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        _write_new(path, (secrets.token_bytes(32).hex() + "\n").encode("ascii"))
    except FileExistsError:
        pass
    return read_secret(path)


def read_secret(path: Path) -> bytes:
    """A 32-byte secret stored as 64 hex digits in a file only its owner may read.

    Raises
    ------
    BankError
        Missing, readable by others, or not 64 hex digits.
    """
    text = _read_private(path).decode("ascii", errors="replace").strip()
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) != 32:
        raise BankError(f"{path} must hold 64 hexadecimal digits (32 bytes); it does not")
    return secret


def _write_new(path: Path, content: bytes) -> None:
    """Create ``path`` (0600) with ``content``; ``FileExistsError`` when it is already there."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise
    except OSError as exc:
        raise BankError(f"{path}: cannot create ({exc.strerror})") from exc
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        raise BankError(f"{path}: cannot write ({exc.strerror})") from exc


def _read_private(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise BankError(f"{path} is missing: {RUN_INIT}") from None
    except OSError as exc:
        raise BankError(f"{path}: cannot read ({exc.strerror})") from exc
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise BankError(f"{path} is accessible by other users (mode {stat.S_IMODE(mode):04o}); "
                        f"run `chmod 600 {path}` and check who may have copied it")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BankError(f"{path}: cannot read ({exc.strerror})") from exc


def load_signing_key(folder: Path) -> Ed25519PrivateKey:
    """The bank's Ed25519 signing key from ``folder/bank.key``.

    Raises
    ------
    BankError
        Missing (run ``seleksi keys init``), readable by others, or not an Ed25519 PEM key.
    """
    path = Path(folder) / SIGNING_KEY
    data = _read_private(path)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise BankError(f"{path} is not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BankError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file (``bank.pub``).

    Raises
    ------
    BankError
        Missing, unreadable, or not an Ed25519 PEM public key.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BankError(f"{path} is missing: copy the bank's bank.pub there or pass "
                        f"--pubkey (on the bank's own machine: {RUN_INIT})") from None
    except OSError as exc:
        raise BankError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise BankError(f"{path} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise BankError(f"{path} holds a {type(key).__name__}, not an Ed25519 public key")
    return key


def load_master_secret(folder: Path) -> bytes:
    """The 32-byte master secret from ``folder/master.secret`` (64 hex digits).

    Raises
    ------
    BankError
        Missing (run ``seleksi keys init``), readable by others, or not 64 hex digits.
    """
    return read_secret(Path(folder) / MASTER_SECRET)


def public_key_fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 (hex) of the 32 raw bytes of an Ed25519 public key."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()
