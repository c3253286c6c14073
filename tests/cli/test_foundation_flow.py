"""The foundation's command line end to end: keys, bank, exam, papers, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.cli.conftest import EXAMPLE, Run, make_runner, write_roster


def _flow(seleksi: Run, work: Path) -> None:
    instance = work / "instance"
    seleksi("keys", "init")
    keys = instance / "keys"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    for name in ("bank.key", "master.secret"):
        assert stat.S_IMODE((keys / name).stat().st_mode) == 0o600

    bank = work / "bank.json"
    out = seleksi("bank", "sample", "--items", "600", "--out", bank).stdout
    assert "600" in out
    assert len(json.loads(bank.read_text(encoding="utf-8"))["items"]) == 600
    first = seleksi("bank", "import", bank).stdout
    assert "600 new items" in first
    again = seleksi("bank", "import", bank).stdout
    assert "0 new items, 0 new versions, 0 status changes, 600 unchanged" in again
    status = seleksi("bank", "status").stdout
    assert "TKP: approved" in status

    assert "loaded" in seleksi("exam", "load", EXAMPLE).stdout
    assert "unchanged" in seleksi("exam", "load", EXAMPLE).stdout

    roster = write_roster(work / "participants.csv", 25)
    seal = work / "exam.seal"
    built = seleksi("papers", "build", "--exam", "skd-2024-demo", "--participants", roster,
                    "--seed", "s3cret", "--out", seal).stdout
    assert "sealed 25 papers" in built
    assert "session JKT1-S1: 25 papers; item exposure max/min" in built
    assert seal.stat().st_size > 1000

    verified = seleksi("papers", "verify", seal, "--pubkey", keys / "bank.pub").stdout
    assert "signature: valid" in verified
    assert verified.strip().endswith("exam.seal: OK")
    key = seleksi("papers", "release-key", seal, "--session", "JKT1-S1").stdout.strip()
    assert len(key.splitlines()) == 1
    with_key = seleksi("papers", "verify", seal, "--pubkey", keys / "bank.pub",
                       "--key", key).stdout
    assert "session JKT1-S1: decrypted; 25 papers follow the blueprint" in with_key

    imported = seleksi("papers", "import", seal).stdout
    assert "25 participants" in imported
    assert "already imported" in seleksi("papers", "import", seal).stdout

    # any damage to the file is refused, naming the part, and the import changes nothing
    data = bytearray(seal.read_bytes())
    data[len(data) // 2] ^= 0x01
    bad = work / "damaged.seal"
    bad.write_bytes(bytes(data))
    refused = seleksi("papers", "verify", bad, "--pubkey", keys / "bank.pub", ok=False)
    assert "payload" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "payload" in seleksi("papers", "import", bad, ok=False).stderr


def test_flow_on_sqlite(seleksi: Run, tmp_path: Path) -> None:
    _flow(seleksi, tmp_path)


@pytest.mark.pg
def test_flow_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    _flow(make_runner(tmp_path / "instance", pg_url), tmp_path)
