"""Bad input on the command line: a clear one-line reason, non-zero exit, nothing written."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import EXAMPLE, Run, write_roster


def test_every_command_has_help(seleksi: Run) -> None:
    for args in (["--help"], ["keys", "init", "--help"], ["bank", "sample", "--help"],
                 ["bank", "import", "--help"], ["bank", "export", "--help"],
                 ["exam", "load", "--help"], ["papers", "build", "--help"],
                 ["papers", "verify", "--help"], ["papers", "release-key", "--help"],
                 ["papers", "import", "--help"], ["demo", "--help"]):
        assert "Usage: seleksi" in seleksi(*args).stdout


def test_keys_are_never_overwritten(seleksi: Run, tmp_path: Path) -> None:
    seleksi("keys", "init")
    before = (tmp_path / "instance" / "keys" / "master.secret").read_bytes()
    refused = seleksi("keys", "init", ok=False)
    assert refused.stderr.startswith("seleksi: error:")
    assert "master.secret" in refused.stderr or "bank.key" in refused.stderr
    assert (tmp_path / "instance" / "keys" / "master.secret").read_bytes() == before


def test_bad_bank_file_lists_every_row_and_writes_nothing(seleksi: Run, tmp_path: Path) -> None:
    bank = tmp_path / "bank.csv"
    seleksi("bank", "sample", "--items", "20", "--out", bank)
    seleksi("bank", "import", bank)
    lines = bank.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    # break two rows: an unknown section, and (for the last row) an empty stem
    lines[3] = lines[3].replace(",TWK,", ",XYZ,", 1).replace(",TIU,", ",XYZ,", 1).replace(
        ",TKP,", ",XYZ,", 1)
    bad = tmp_path / "soal.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    refused = seleksi("bank", "import", bad, ok=False)
    assert "soal.csv row 4, column" in refused.stderr
    assert "unknown section 'XYZ'" in refused.stderr
    assert "section" in header
    # nothing of the refused file was written: the bank is as before
    assert "20 unchanged" in seleksi("bank", "import", bank).stdout


def test_short_bank_names_the_cell(seleksi: Run, tmp_path: Path) -> None:
    seleksi("keys", "init")
    bank = tmp_path / "bank.json"
    seleksi("bank", "sample", "--items", "150", "--out", bank)
    seleksi("bank", "import", bank)
    seleksi("exam", "load", EXAMPLE)
    roster = write_roster(tmp_path / "p.csv", 3)
    refused = seleksi("papers", "build", "--exam", "skd-2024-demo", "--participants", roster,
                      "--seed", "x", "--out", tmp_path / "x.seal", ok=False)
    assert "short by" in refused.stderr
    assert not (tmp_path / "x.seal").exists()


def test_unknown_exam_and_session(seleksi: Run, tmp_path: Path) -> None:
    seleksi("keys", "init")
    roster = write_roster(tmp_path / "p.csv", 3)
    refused = seleksi("papers", "build", "--exam", "nope", "--participants", roster,
                      "--seed", "x", "--out", tmp_path / "x.seal", ok=False)
    assert "no exam 'nope'" in refused.stderr


def test_wrong_public_key_is_refused(seleksi: Run, tmp_path: Path) -> None:
    other = tmp_path / "other"
    from tests.cli.conftest import make_runner

    make_runner(other, None)("keys", "init")
    seleksi("keys", "init")
    bank = tmp_path / "bank.json"
    seleksi("bank", "sample", "--items", "600", "--out", bank)
    seleksi("bank", "import", bank)
    seleksi("exam", "load", EXAMPLE)
    seal = tmp_path / "exam.seal"
    seleksi("papers", "build", "--exam", "skd-2024-demo", "--participants",
            write_roster(tmp_path / "p.csv", 2), "--seed", "x", "--out", seal)
    refused = seleksi("papers", "verify", seal, "--pubkey", other / "keys" / "bank.pub", ok=False)
    assert "signature" in refused.stderr
    refused = seleksi("papers", "release-key", seal, "--session", "NOPE", ok=False)
    assert "no session 'NOPE'" in refused.stderr


def test_a_build_into_a_missing_folder_writes_nothing(seleksi: Run, tmp_path: Path) -> None:
    import sqlite3

    seleksi("keys", "init")
    bank = tmp_path / "bank.json"
    seleksi("bank", "sample", "--items", "600", "--out", bank)
    seleksi("bank", "import", bank)
    seleksi("exam", "load", EXAMPLE)
    db = tmp_path / "instance" / "seleksi.db"

    def audit_rows() -> int:
        with sqlite3.connect(db) as conn:
            return int(conn.execute("SELECT count(*) FROM audit_log").fetchone()[0])

    before = audit_rows()
    refused = seleksi("papers", "build", "--exam", "skd-2024-demo", "--participants",
                      write_roster(tmp_path / "p.csv", 2), "--seed", "x",
                      "--out", tmp_path / "nowhere" / "x.seal", ok=False)
    assert "--out: the folder" in refused.stderr
    assert "does not exist" in refused.stderr
    assert audit_rows() == before
    assert not (tmp_path / "nowhere").exists()


def test_a_key_that_opens_no_session_is_named(seleksi: Run, tmp_path: Path) -> None:
    seleksi("keys", "init")
    bank = tmp_path / "bank.json"
    seleksi("bank", "sample", "--items", "600", "--out", bank)
    seleksi("bank", "import", bank)
    seleksi("exam", "load", EXAMPLE)
    first, second = tmp_path / "a.seal", tmp_path / "b.seal"
    for seal in (first, second):
        seleksi("papers", "build", "--exam", "skd-2024-demo", "--participants",
                write_roster(tmp_path / "p.csv", 2), "--seed", "x", "--out", seal)
    gappy = tmp_path / "gappy.csv"
    gappy.write_text("participant,name,formation,category,session\n" + "".join(
        f"{25 * n},P{n},F,umum,\n" for n in range(1, 6)), encoding="utf-8")
    warned = seleksi("papers", "build", "--exam", "skd-2024-demo", "--participants", gappy,
                     "--seed", "x", "--out", tmp_path / "c.seal")
    assert "participant numbers are not one contiguous run" in warned.stderr
    old_key = seleksi("papers", "release-key", first, "--session", "JKT1-S1").stdout.strip()
    pub = tmp_path / "instance" / "keys" / "bank.pub"
    # a rebuilt package has new keys: the first package's key does not open the second
    refused = seleksi("papers", "verify", second, "--pubkey", pub, "--key", old_key, ok=False)
    assert "key #1 opens no session of this package (sessions: JKT1-S1)" in refused.stderr
    assert "decrypted" in seleksi("papers", "verify", first, "--pubkey", pub,
                                  "--key", old_key).stdout
