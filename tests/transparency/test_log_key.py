"""The log's signing key ``keys/log.key``: made once (also by ``seleksi keys init``), 0600."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from proctor_console.transparency.keys import LOG_KEY, ensure_log_key, load_log_key
from question_bank.errors import BankError
from tests.cli.conftest import make_runner


def _raw(folder: Path) -> bytes:
    return load_log_key(folder).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def test_made_on_first_use_private_and_never_replaced(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    first = _raw(folder)
    path = folder / LOG_KEY
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert ensure_log_key(folder) is False
    assert _raw(folder) == first
    assert sorted(p.name for p in folder.iterdir()) == [LOG_KEY]  # no draft left behind


def test_processes_racing_to_make_it_read_the_same_key(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    start = threading.Barrier(8)
    keys: list[bytes] = []

    def make() -> None:
        start.wait()
        keys.append(_raw(folder))

    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(keys) == 8 and len(set(keys)) == 1  # noqa: PT018


def test_a_key_others_can_read_or_a_wrong_file_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    load_log_key(folder)
    path = folder / LOG_KEY
    path.chmod(0o644)
    with pytest.raises(BankError, match=r"log.key is accessible by other users .*chmod 600"):
        load_log_key(folder)
    path.chmod(0o600)
    path.write_bytes(b"not a key")
    with pytest.raises(BankError, match=r"log.key is not an unencrypted PEM private key"):
        load_log_key(folder)


def test_keys_init_makes_the_log_key_too(tmp_path: Path) -> None:
    run = make_runner(tmp_path / "instance", None)
    out = run("keys", "init").stdout
    assert "log.key (signs the public result log's tree heads, 0600)" in out
    folder = tmp_path / "instance" / "keys"
    assert stat.S_IMODE((folder / LOG_KEY).stat().st_mode) == 0o600
    assert len(_raw(folder)) == 32
