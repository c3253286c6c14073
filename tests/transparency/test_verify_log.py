"""``tools/verify_log.py`` run as an observer would: a subprocess on a dump or a live API."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from proctor_console.transparency import records
from proctor_console.transparency.merkle import leaf_hash
from tests.transparency.helpers import ROOT, VERIFY_LOG, Log, record, write_dump


def run(source: Path | str, state: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(VERIFY_LOG), str(source), "--state", str(state),
                           *extra], capture_output=True, text=True, timeout=60, check=False,
                          cwd=ROOT)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def failed(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "FAILED: " in result.stderr
    return result.stderr


PARTICIPANT_17 = "(participant 26110000000017, exam skd-2026-bkn)"


@pytest.fixture
def log() -> Log:
    return Log(40)


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "heads.json"


def verified(tmp_path: Path, log: Log, state: Path) -> bytes:
    """Run once on the good log; return the state file it wrote."""
    out = ok(run(write_dump(tmp_path / "good", log), state))
    assert f"OK: {len(log.records)} entries hash to the signed head" in out
    return state.read_bytes()


def test_the_verifier_imports_only_the_standard_library_and_cryptography() -> None:
    tree = ast.parse(VERIFY_LOG.read_text(encoding="utf-8"))
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
             for a in n.names}
    names |= {(n.module or "").split(".")[0] for n in ast.walk(tree)
              if isinstance(n, ast.ImportFrom) and n.level == 0}
    assert names - set(sys.stdlib_module_names) == {"cryptography"}


def test_a_good_log_passes_and_its_head_is_remembered(tmp_path: Path, log: Log,
                                                      state: Path) -> None:
    verified(tmp_path, log, state)
    saved = json.loads(state.read_text())
    assert [h["tree_size"] for h in saved["heads"]] == [40]
    assert saved["log_key"] == records.public_key_json(log.key.public_key())["ed25519"]
    assert records.b64decode(saved["leaf_hashes"], "leaves") == b"".join(
        leaf_hash(x) for x in log.inputs())
    out = ok(run(tmp_path / "good", state))
    assert "consistent with 1 earlier head(s)" in out
    assert len(json.loads(state.read_text())["heads"]) == 1


def test_an_honest_log_that_grew_passes(tmp_path: Path, log: Log, state: Path) -> None:
    small = log.copy()
    small.records = small.records[:30]
    ok(run(write_dump(tmp_path / "d30", small), state))
    out = ok(run(write_dump(tmp_path / "d40", log), state))
    assert "OK: 40 entries" in out
    assert "consistent with 1 earlier head(s)" in out


def test_a_changed_entry_is_named(tmp_path: Path, log: Log, state: Path) -> None:
    before = verified(tmp_path, log, state)
    bad = log.copy()
    bad.records[17]["total"] += 10
    err = failed(run(write_dump(tmp_path / "bad", log, entries=bad.inputs()), state))
    assert "the entries do not hash to the root of the signed head of size 40" in err
    assert f"entry 17 {PARTICIPANT_17} differs from what the signed head of size 40 seen on" in err
    assert "committed to" in err
    assert state.read_bytes() == before  # a failed run keeps the evidence as it was


def test_a_changed_entry_without_an_earlier_copy_is_still_detected(tmp_path: Path, log: Log,
                                                                   state: Path) -> None:
    bad = log.copy()
    bad.records[17]["code"] = "P/L"
    err = failed(run(write_dump(tmp_path / "bad", log, entries=bad.inputs()), state))
    assert "do not hash to the root of the signed head of size 40" in err
    assert "cannot be told without an earlier verified copy" in err
    assert not state.exists()


def test_a_dropped_entry_is_named(tmp_path: Path, log: Log, state: Path) -> None:
    verified(tmp_path, log, state)
    entries = log.inputs()
    del entries[17]
    err = failed(run(write_dump(tmp_path / "bad", log, entries=entries), state))
    assert "the signed head is of size 40 but the log serves only 39 entries" in err
    assert "entry 17 was dropped: the signed head of size 40 seen on" in err


def test_a_dropped_entry_with_a_new_signed_head_is_named(tmp_path: Path, log: Log,
                                                         state: Path) -> None:
    verified(tmp_path, log, state)
    bad = log.copy()
    del bad.records[17]
    err = failed(run(write_dump(tmp_path / "bad", bad), state))
    assert "the log shrank: the signed head of size 40 seen on" in err
    assert "is larger than the signed head of size 39" in err
    assert "entry 17 was dropped" in err


def test_reordered_entries_are_named(tmp_path: Path, log: Log, state: Path) -> None:
    verified(tmp_path, log, state)
    entries = log.inputs()
    entries[17], entries[18] = entries[18], entries[17]
    err = failed(run(write_dump(tmp_path / "bad", log, entries=entries), state))
    assert "entry 17 (participant 26110000000018, exam skd-2026-bkn) is out of place: the" \
           " signed head of size 40 seen on" in err
    assert "committed to it as entry 18 (the log was reordered)" in err
    assert "entry 18 (participant 26110000000017, exam skd-2026-bkn) is out of place" in err


@pytest.mark.parametrize("tamper", ["timestamp", "root", "other key"])
def test_a_bad_signature_is_named(tmp_path: Path, log: Log, state: Path, tamper: str) -> None:
    sth = log.sth()
    if tamper == "timestamp":
        sth["timestamp"] += 1
    elif tamper == "root":
        sth["sha256_root_hash"] = records.b64encode(leaf_hash(b"another root"))
    else:
        other = log.copy()
        other.key = Ed25519PrivateKey.generate()
        sth = other.sth()
    err = failed(run(write_dump(tmp_path / "bad", log, sth=sth), state))
    assert "the signed tree head of size 40 has a bad signature" in err


def test_a_rewritten_history_versus_an_earlier_head_is_named(tmp_path: Path, log: Log,
                                                             state: Path) -> None:
    small = log.copy()
    small.records = small.records[:30]
    ok(run(write_dump(tmp_path / "d30", small), state))
    rewritten = log.copy()
    rewritten.records[17]["sections"]["TKP"] += 5
    rewritten.records[17]["total"] += 5
    err = failed(run(write_dump(tmp_path / "d40", rewritten), state))  # honestly signed
    assert "the log was rewritten: the signed head of size 30 seen on" in err
    assert "is not consistent with the signed head of size 40" in err
    assert f"entry 17 {PARTICIPANT_17} differs from what the signed head of size 30" in err


def test_a_new_log_key_is_refused(tmp_path: Path, log: Log, state: Path) -> None:
    verified(tmp_path, log, state)
    other = log.copy()
    other.key = Ed25519PrivateKey.generate()
    err = failed(run(write_dump(tmp_path / "other", other), state))
    assert "the log's public key changed" in err


def test_a_receipt_is_checked_in_a_dump(tmp_path: Path, log: Log, state: Path) -> None:
    receipt = tmp_path / "receipt.json"
    data = records.leaf_input(log.records[17])
    receipt.write_text(json.dumps({"leaf_hash": records.b64encode(leaf_hash(data)),
                                   "tree_size": 20, "leaf_index": 17}))
    out = ok(run(write_dump(tmp_path / "good", log), state, "--receipt", str(receipt)))
    assert "OK: the receipt's record is entry 17 of the signed head of size 40" in out
    changed = log.copy()
    changed.records[17]["code"] = "TL"
    err = failed(run(write_dump(tmp_path / "bad", changed), tmp_path / "fresh.json",
                     "--receipt", str(receipt)))
    assert "the receipt's record (leaf hash" in err
    assert ", entry 17 per the receipt) is not in the log as the signed head of size 40" in err
    assert "entry 17 now holds another record" in err


def test_unreadable_input_gives_a_clear_message(tmp_path: Path, state: Path) -> None:
    err = failed(run(tmp_path / "nowhere", state))
    assert "neither an http(s):// URL nor a directory" in err
    folder = tmp_path / "empty"
    folder.mkdir()
    err = failed(run(folder, state))
    assert "pubkey.json: cannot read it as JSON" in err


# -- a live API: a small stand-in for the server, answering as RFC 6962 §4 in JSON -------------

class FakeLog:
    def __init__(self, log: Log, size: int | None = None) -> None:
        self.set(log, size)
        self.bogus_consistency = False
        self.calls: list[str] = []

    def set(self, log: Log, size: int | None = None) -> None:
        self.inputs = log.inputs()
        self.tree, self.sth = log.tree(), log.sth(size)
        self.pubkey = records.public_key_json(log.key.public_key())

    def answer(self, path: str, q: dict[str, str]) -> tuple[int, Any]:
        self.calls.append(path)
        if path == "/api/log/pubkey":
            return 200, self.pubkey
        if path == "/api/log/get-sth":
            return 200, self.sth
        if path == "/api/log/get-entries":
            start, end = int(q["start"]), min(int(q["end"]), int(q["start"]) + 999)
            return 200, {"entries": [{"leaf_input": records.b64encode(x)}
                                     for x in self.inputs[start:end + 1]]}
        if path == "/api/log/get-sth-consistency":
            proof = self.tree.consistency_proof(int(q["first"]), int(q["second"]))
            if self.bogus_consistency:
                proof = [leaf_hash(b"bogus")] + proof[1:]
            return 200, {"consistency": [records.b64encode(p) for p in proof]}
        if path == "/api/log/get-proof-by-hash":
            wanted, size = records.b64decode(q["hash"], "hash"), int(q["tree_size"])
            for i in range(size):
                if self.tree.leaf_hash(i) == wanted:
                    return 200, {"leaf_index": i, "audit_path": [
                        records.b64encode(p) for p in self.tree.audit_path(i, size)]}
            return 404, {"error": "no entry with this hash"}
        return 404, {"error": "no such endpoint"}


@pytest.fixture
def server() -> Iterator[tuple[str, FakeLog]]:
    fake = FakeLog(Log(2_500))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            url = urllib.parse.urlsplit(self.path)
            status, body = fake.answer(url.path, dict(urllib.parse.parse_qsl(url.query)))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", fake
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_a_live_log_pages_entries_proves_a_receipt_and_growth(
        server: tuple[str, FakeLog], tmp_path: Path, state: Path) -> None:
    url, fake = server
    log = Log(2_600, Ed25519PrivateKey.generate())
    fake.set(log, 2_500)
    receipt = tmp_path / "receipt.json"
    data = records.leaf_input(log.records[1234])
    receipt.write_text(json.dumps({"leaf_hash": records.b64encode(leaf_hash(data)),
                                   "tree_size": 2_000}))
    out = ok(run(url, state, "--receipt", str(receipt)))
    assert "OK: 2500 entries hash to the signed head of size 2500" in out
    assert "OK: the receipt's record is entry 1234 of the signed head of size 2500" in out
    assert fake.calls.count("/api/log/get-entries") == 3  # at most 1,000 a call
    fake.set(log)  # the log grew honestly to 2,600
    out = ok(run(url, state))
    assert "consistent with 1 earlier head(s)" in out
    assert "/api/log/get-sth-consistency" in fake.calls


def test_a_live_log_rewritten_or_with_a_bad_proof_is_named(
        server: tuple[str, FakeLog], state: Path) -> None:
    url, fake = server
    log = Log(2_600, Ed25519PrivateKey.generate())
    fake.set(log, 2_500)
    ok(run(url, state))
    fake.set(log)
    fake.bogus_consistency = True
    err = failed(run(url, state))
    assert "the signed head of size 2500 seen on" in err
    assert "the server's consistency proof fails" in err
    fake.bogus_consistency = False
    rewritten = log.copy()
    rewritten.records[1500] = record(1500, code="DIS")
    fake.set(rewritten)
    err = failed(run(url, state))
    assert "the log was rewritten: the signed head of size 2500 seen on" in err
    assert "entry 1500 (participant 26110000001500, exam skd-2026-bkn) differs from" in err
    receipt = state.with_name("receipt.json")
    receipt.write_text(json.dumps({"leaf_hash": records.b64encode(
        leaf_hash(records.leaf_input(log.records[1500]))), "tree_size": 2_600}))
    fake.set(log)
    ok(run(url, state.with_name("other.json"), "--receipt", str(receipt)))
    fake.set(rewritten)  # an observer with no earlier state still finds the record gone
    err = failed(run(url, state.with_name("third.json"), "--receipt", str(receipt)))
    assert "is not in the signed head of size 2600: GET" in err
    assert "HTTP 404" in err


def test_an_empty_log_then_a_tampered_state_file(tmp_path: Path, state: Path) -> None:
    empty = Log(0)
    assert "OK: 0 entries hash to the signed head of size 0" in ok(
        run(write_dump(tmp_path / "empty", empty), state))
    saved = json.loads(state.read_text())
    saved["heads"][0]["tree_size"] = 1  # someone edits the observer's evidence
    state.write_text(json.dumps(saved))
    err = failed(run(tmp_path / "empty", state))
    assert "state file head 0: the signed tree head of size 1 has a bad signature" in err
