"""A reference RFC 6962 tree written straight from the RFC's definitions, and log dumps.

The reference works on leaf *inputs* with list slices and recursion, exactly as RFC 6962 §2.1
writes MTH, PATH and SUBPROOF; it is slow and obviously right, so the fast
:class:`~proctor_console.transparency.merkle.MerkleTree` is checked against it.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from proctor_console.transparency import merkle, records

ROOT = Path(__file__).resolve().parents[2]
VERIFY_LOG = ROOT / "tools" / "verify_log.py"


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    """MTH(D[n]) of RFC 6962 §2.1."""
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 §2.1.1."""
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return ref_path(m, d[:k]) + [ref_mth(d[k:])]
    return ref_path(m - k, d[k:]) + [ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 6962 §2.1.2."""
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = _k(len(d))
    if m <= k:
        return ref_subproof(m, d[:k], b) + [ref_mth(d[k:])]
    return ref_subproof(m - k, d[k:], False) + [ref_mth(d[:k])]


def ref_proof(m: int, d: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 6962 §2.1.2 (defined there for 0 < m < n)."""
    return ref_subproof(m, d, True)


def data(n: int) -> list[bytes]:
    """``n`` distinct leaf inputs."""
    return [b"leaf-%d" % i for i in range(n)]


def load_verifier() -> ModuleType:
    """``tools/verify_log.py`` as a module (it is a script, not part of a package)."""
    name = "seleksi_verify_log_under_test"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, VERIFY_LOG)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# -- result records and log dumps ----------------------------------------------------------------

TIME = "2026-11-24T01:00:00.123456+00:00"


def record(i: int, **changes: Any) -> dict[str, Any]:
    """A valid result record for participant ``i``."""
    rec: dict[str, Any] = {
        "kind": "result", "exam": "skd-2026-bkn", "session": "S01",
        "participant": f"2611{i:010d}", "sections": {"TWK": 65, "TIU": 80, "TKP": 166 + i % 50},
        "total": 311 + i % 50, "code": "P", "time": TIME}
    rec.update(changes)
    return rec


class Log:
    """A log of records as the server would hold it: entries, tree, signing key."""

    def __init__(self, n: int, key: Ed25519PrivateKey | None = None) -> None:
        self.key = key or Ed25519PrivateKey.generate()
        self.records = [record(i) for i in range(n)]

    def inputs(self) -> list[bytes]:
        return [records.leaf_input(r) for r in self.records]

    def tree(self) -> merkle.MerkleTree:
        return merkle.MerkleTree(merkle.leaf_hash(x) for x in self.inputs())

    def sth(self, size: int | None = None, timestamp: int = 1_795_000_000_000) -> dict[str, Any]:
        tree = self.tree()
        n = len(tree) if size is None else size
        return records.sign_tree_head(self.key, n, timestamp + n, tree.root(n))

    def copy(self) -> Log:
        other = Log(0, self.key)
        other.records = copy.deepcopy(self.records)
        return other


def write_dump(folder: Path, log: Log, sth: dict[str, Any] | None = None,
               entries: list[bytes] | None = None) -> Path:
    """The three files ``tools/verify_log.py`` reads from a directory."""
    folder.mkdir(parents=True, exist_ok=True)
    inputs = log.inputs() if entries is None else entries
    (folder / "pubkey.json").write_text(json.dumps(records.public_key_json(log.key.public_key())))
    (folder / "sth.json").write_text(json.dumps(log.sth() if sth is None else sth))
    (folder / "entries.json").write_text(json.dumps(
        {"entries": [{"leaf_input": records.b64encode(x)} for x in inputs]}))
    return folder
