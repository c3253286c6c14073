"""The bank's keys: made once, private files 0600, clear refusals."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from question_bank.errors import BankError
from question_bank.keys import (
    init_keys,
    load_master_secret,
    load_public_key,
    load_signing_key,
    public_key_fingerprint,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_writes_three_private_files_in_a_private_folder(tmp_path: Path) -> None:
    folder = tmp_path / "instance" / "keys"
    init_keys(folder)
    assert mode(folder) == 0o700
    for name in ("bank.key", "bank.pub", "master.secret"):
        assert mode(folder / name) == 0o600
    assert (folder / "bank.key").read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert (folder / "bank.pub").read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    text = (folder / "master.secret").read_text()
    assert len(text) == 65
    assert text.endswith("\n")
    assert bytes.fromhex(text.strip())
    signing = load_signing_key(folder)
    public = load_public_key(folder / "bank.pub")
    assert public_key_fingerprint(signing.public_key()) == public_key_fingerprint(public)
    public.verify(signing.sign(b"x"), b"x")
    assert load_master_secret(folder) == bytes.fromhex(text)


def test_init_refuses_when_any_key_exists(tmp_path: Path) -> None:
    init_keys(tmp_path)
    before = (tmp_path / "master.secret").read_bytes()
    with pytest.raises(BankError, match=r"bank.key already exists: refusing to overwrite"):
        init_keys(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "master.secret").write_text("x")
    with pytest.raises(BankError, match=r"master.secret already exists"):
        init_keys(other)
    assert not (other / "bank.key").exists()
    assert (tmp_path / "master.secret").read_bytes() == before


def test_missing_keys_say_run_keys_init(tmp_path: Path) -> None:
    with pytest.raises(BankError, match=r"bank.key is missing: run `seleksi keys init`"):
        load_signing_key(tmp_path)
    with pytest.raises(BankError, match=r"master.secret is missing: run `seleksi keys init`"):
        load_master_secret(tmp_path)
    with pytest.raises(BankError, match=r"bank.pub is missing"):
        load_public_key(tmp_path / "bank.pub")


def test_private_files_readable_by_others_are_refused(tmp_path: Path) -> None:
    init_keys(tmp_path)
    (tmp_path / "master.secret").chmod(0o644)
    with pytest.raises(BankError, match=r"accessible by other users \(mode 0644\); run `chmod 600"):
        load_master_secret(tmp_path)
    (tmp_path / "bank.key").chmod(0o640)
    with pytest.raises(BankError, match=r"mode 0640"):
        load_signing_key(tmp_path)


def test_malformed_key_files_are_refused_without_showing_contents(tmp_path: Path) -> None:
    init_keys(tmp_path)
    secret = tmp_path / "master.secret"
    secret.write_text("zz-not-hex-SECRETVALUE\n")
    with pytest.raises(BankError, match="64 hexadecimal digits") as caught:
        load_master_secret(tmp_path)
    assert "SECRETVALUE" not in str(caught.value)
    (tmp_path / "bank.key").write_text("garbage")
    with pytest.raises(BankError, match="not an unencrypted PEM private key"):
        load_signing_key(tmp_path)
    (tmp_path / "bank.pub").write_text("garbage")
    with pytest.raises(BankError, match="not a PEM public key"):
        load_public_key(tmp_path / "bank.pub")


def test_a_secret_made_on_first_use_is_private_and_stable(tmp_path: Path) -> None:
    from question_bank.keys import ensure_secret

    path = tmp_path / "keys" / "pin.key"
    first = ensure_secret(path)
    assert len(first) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert ensure_secret(path) == first  # never replaced once made
    path.chmod(0o644)
    with pytest.raises(BankError, match="accessible by other users"):
        ensure_secret(path)
