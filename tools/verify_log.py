#!/usr/bin/env python3
"""Independent verifier of a Seleksi result log (RFC 6962 Merkle tree, Ed25519 tree heads).

Needs only Python 3.11+ and the ``cryptography`` package, and imports nothing of Seleksi: an
observer need not trust the project's code to check the project's log.

    python3 verify_log.py https://seleksi.example.org         # talk to the server's API
    python3 verify_log.py ./dump                              # or read a dump of its responses
    python3 verify_log.py URL --receipt my-receipt.json       # and check one record is in it

A dump directory holds ``pubkey.json``, ``sth.json`` and ``entries.json``, the responses of
``GET /api/log/pubkey``, ``get-sth`` and ``get-entries`` (one ``{"entries": [...]}`` or a list).

Checked: the tree head's signature; that the entries hash to its root (RFC 6962 §2.1); that
every head seen before (``--state``, default ``~/.seleksi-log-heads.json``, which also keeps the
leaf hashes of the last verified head, to name a changed, dropped or reordered entry) is
consistent with it, by recomputing and, from a server, by its consistency proof (RFC 9162
§2.1.4.2); with ``--receipt`` (``{"leaf_hash", "tree_size", ...}``), the inclusion proof of that
leaf (§2.1.3.2). Exit status 0 when all holds, 1 otherwise (the state file is left as it was).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

PAGE = 1000  # get-entries returns at most this many entries per call
STATE_FORMAT = "seleksi-log-heads/1"
EMPTY_ROOT = hashlib.sha256(b"").digest()


class Failure(Exception):
    """A check that cannot go on (unreachable server, bad signature, malformed data)."""


# -- RFC 6962 / RFC 9162 Merkle tree math (written again here on purpose) ----------------------

def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def prefix_roots(leaves: list[bytes], sizes: set[int]) -> dict[int, bytes]:
    """MTH(D[0:s]) for each requested s <= len(leaves), in one pass (stack of perfect subtrees)."""
    out: dict[int, bytes] = {s: EMPTY_ROOT for s in sizes if s == 0}
    stack: list[bytes] = []
    for count, node in enumerate(leaves, 1):
        carry = count
        while carry & 1 == 0:
            node = node_hash(stack.pop(), node)
            carry >>= 1
        stack.append(node)
        if count in sizes:
            acc = stack[-1]
            for left in reversed(stack[:-1]):
                acc = node_hash(left, acc)
            out[count] = acc
    return out


def verify_inclusion(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if not 0 <= index < size or any(len(p) != 32 for p in path):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn & 1 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and hmac.compare_digest(r, root)


def verify_consistency(m: int, n: int, root_m: bytes, root_n: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2, plus the sizes RFC 6962 leaves out (m == n, m == 0)."""
    if not 0 <= m <= n or any(len(c) != 32 for c in proof):
        return False
    if m == n:
        return not proof and hmac.compare_digest(root_m, root_n)
    if m == 0:
        return not proof and hmac.compare_digest(root_m, EMPTY_ROOT)
    if not proof:
        return False
    path = ([root_m] if m & (m - 1) == 0 else []) + proof
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn & 1 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and hmac.compare_digest(fr, root_m) and hmac.compare_digest(sr, root_n)


# -- reading the log ----------------------------------------------------------------------------

def b64(text: object, what: str, size: int | None = None) -> bytes:
    if not isinstance(text, str):
        raise Failure(f"{what} must be a base64 string, got {text!r}")
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise Failure(f"{what} is not valid base64: {text!r}") from None
    if size is not None and len(data) != size:
        raise Failure(f"{what} must be {size} bytes, got {len(data)}")
    return data


def enc(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class Source:
    """The log's API over HTTP, or a directory holding a dump of its responses."""

    def __init__(self, where: str, timeout: float) -> None:
        self.where, self.timeout = where, timeout
        self.http = where.startswith(("http://", "https://"))
        if not self.http and not Path(where).is_dir():
            raise Failure(f"{where}: neither an http(s):// URL nor a directory")

    def _get(self, endpoint: str, **query: object) -> Any:
        url = f"{self.where.rstrip('/')}/api/log/{endpoint}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as reply:  # noqa: S310 (http/https only)
                return json.loads(reply.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            raise Failure(f"GET {url}: HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise Failure(f"GET {url}: cannot reach the log ({exc})") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise Failure(f"GET {url}: the reply is not JSON ({exc})") from None

    def pubkey(self) -> Any:
        return self._get("pubkey") if self.http else read_json(Path(self.where, "pubkey.json"))

    def sth(self) -> Any:
        return self._get("get-sth") if self.http else read_json(Path(self.where, "sth.json"))

    def entries(self, size: int) -> list[Any]:
        if not self.http:
            dump = read_json(Path(self.where, "entries.json"))
            pages = dump if isinstance(dump, list) else [dump]
            return [e for page in pages for e in _entries_of(page, "entries.json")]
        out: list[Any] = []
        while len(out) < size:
            end = min(len(out) + PAGE, size) - 1
            page = _entries_of(self._get("get-entries", start=len(out), end=end),
                               f"get-entries?start={len(out)}&end={end}")
            if not page:
                raise Failure(f"get-entries?start={len(out)}&end={end} returned no entries,"
                              f" but the signed head is of size {size}")
            out += page[:end + 1 - len(out)]
        return out

    def consistency(self, first: int, second: int) -> list[bytes]:
        reply = self._get("get-sth-consistency", first=first, second=second)
        proof = reply.get("consistency") if isinstance(reply, dict) else None
        if not isinstance(proof, list):
            raise Failure(f"get-sth-consistency?first={first}&second={second}: no 'consistency'")
        return [b64(c, f"consistency proof {first}->{second} node {i}") for i, c in
                enumerate(proof)]

    def proof_by_hash(self, leaf: bytes, size: int) -> tuple[int, list[bytes]]:
        reply = self._get("get-proof-by-hash", hash=enc(leaf), tree_size=size)
        if not isinstance(reply, dict) or not isinstance(reply.get("leaf_index"), int):
            raise Failure(f"get-proof-by-hash (tree_size {size}): no 'leaf_index' in {reply!r}")
        path = reply.get("audit_path")
        if not isinstance(path, list):
            raise Failure(f"get-proof-by-hash (tree_size {size}): no 'audit_path'")
        return reply["leaf_index"], [b64(p, f"audit path node {i}") for i, p in enumerate(path)]


def read_json(path: Path, what: str = "") -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Failure(f"{what}{path}: cannot read it as JSON ({exc})") from None


def _entries_of(page: Any, where: str) -> list[Any]:
    entries = page.get("entries") if isinstance(page, dict) else None
    if not isinstance(entries, list):
        raise Failure(f"{where}: expected {{\"entries\": [...]}}")
    return entries


def parse_head(sth: Any, key: Ed25519PublicKey, where: str) -> dict[str, Any]:
    """Check a tree head's fields and signature; return it with the root decoded as 'root'."""
    if not isinstance(sth, dict):
        raise Failure(f"{where}: not a JSON object")
    for name in ("tree_size", "timestamp"):
        value = sth.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise Failure(f"{where}: {name!r} must be a non-negative integer, got {value!r}")
    root = b64(sth.get("sha256_root_hash"), f"{where}: 'sha256_root_hash'", 32)
    signature = b64(sth.get("tree_head_signature"), f"{where}: 'tree_head_signature'", 64)
    payload = json.dumps({"sha256_root_hash": enc(root), "timestamp": sth["timestamp"],
                          "tree_size": sth["tree_size"]}, sort_keys=True, separators=(",", ":"),
                         ensure_ascii=False).encode("utf-8")
    try:
        key.verify(signature, payload)
    except InvalidSignature:
        raise Failure(f"{where}: the signed tree head of size {sth['tree_size']} has a bad"
                      " signature: it was changed, or not signed by the log's key") from None
    return {**sth, "root": root}


# -- telling what changed -----------------------------------------------------------------------

def when(ms: int) -> str:
    try:
        return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return f"at {ms} ms after 1970 (not a date)"


def head_name(head: dict[str, Any]) -> str:
    seen = f" seen on {head['seen_on']}" if head.get("seen_on") else ""
    return f"head of size {head['tree_size']}{seen}"


def record_name(inputs: list[bytes], i: int) -> str:
    try:
        record = json.loads(inputs[i].decode("utf-8"))
        return f" (participant {record['participant']}, exam {record['exam']})"
    except (ValueError, KeyError, TypeError, IndexError):
        return ""


def name_differences(committed: list[bytes], served: list[bytes], inputs: list[bytes],
                     head: dict[str, Any], limit: int = 5) -> list[str]:
    """Name the entries that differ from what a verified earlier head committed to."""
    signed = f"the signed {head_name(head)}"
    diffs = [i for i in range(min(len(committed), len(served))) if committed[i] != served[i]]
    if not diffs and len(served) >= len(committed):
        return []
    j, dropped = 0, []  # is what is served what was committed, some left out, some appended?
    for i, h in enumerate(committed):
        if j < len(served) and served[j] == h:
            j += 1
        else:
            dropped.append(i)
    if dropped and not set(served[j:]) & set(committed):
        return [f"entry {i} was dropped: {signed} committed to it, the log no longer holds it"
                for i in dropped[:limit]] + [f"… and {len(dropped) - limit} more dropped"
                                             for _ in dropped[limit:limit + 1]]
    where = {h: i for i, h in reversed(list(enumerate(committed)))}
    out = [f"entry {i}{record_name(inputs, i)} differs from what {signed} committed to"
           if where.get(served[i]) is None else
           f"entry {i}{record_name(inputs, i)} is out of place: {signed} committed to it as"
           f" entry {where[served[i]]} (the log was reordered)" for i in diffs[:limit]]
    if len(diffs) > limit:
        out.append(f"… and {len(diffs) - limit} more entries differ from {signed}")
    if len(served) < len(committed):
        out.append(f"entries {len(served)}..{len(committed) - 1} committed to by {signed}"
                   " are missing")
    return out


# -- the run ------------------------------------------------------------------------------------

def load_state(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"format": STATE_FORMAT, "heads": []}
    state = read_json(path, "state file ")
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT or not isinstance(
            state.get("heads"), list):
        raise Failure(f"state file {path}: not a {STATE_FORMAT} file")
    return state


def save_state(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def verify(source: Source, state: dict[str, Any], receipt: dict[str, Any] | None,
           out: list[str]) -> list[str]:
    """Run every check; return the problems found (empty when the log is sound)."""
    key_doc = source.pubkey()
    key_b64 = key_doc.get("ed25519") if isinstance(key_doc, dict) else None
    key = Ed25519PublicKey.from_public_bytes(b64(key_b64, "public key 'ed25519'", 32))
    if state.get("log_key") not in (None, key_b64):
        raise Failure(f"the log's public key changed: the state file holds heads signed by"
                      f" {state['log_key']}, the log now serves {key_b64}. If this is another"
                      " log, use another --state file; if not, the log's history cannot be"
                      " trusted")
    sth = parse_head(source.sth(), key, "signed tree head")
    n = sth["tree_size"]
    raw = source.entries(n)
    inputs = [b64(e.get("leaf_input") if isinstance(e, dict) else None,
                  f"entry {i}: 'leaf_input'") for i, e in enumerate(raw)]
    leaves = [leaf_hash(d) for d in inputs]
    heads = sorted((parse_head(h, key, f"state file head {i}") | {"seen_on": h.get("seen_on")}
                    for i, h in enumerate(state["heads"])), key=lambda h: h["tree_size"])
    committed = b64(state.get("leaf_hashes", ""), "state file 'leaf_hashes'")
    old_leaves = [committed[i:i + 32] for i in range(0, len(committed), 32)]
    last = heads[-1] if heads else None
    if last is not None and len(old_leaves) != last["tree_size"]:
        old_leaves = []  # the copy does not belong to the last head: do not use it
    roots = prefix_roots(leaves, {n} | {h["tree_size"] for h in heads})
    problems: list[str] = []
    if len(leaves) < n:
        problems.append(f"the signed head is of size {n} but the log serves only {len(leaves)}"
                        f" entries: {n - len(leaves)} of the entries it commits to are missing")
    elif len(leaves) > n:
        out.append(f"note: {len(leaves) - n} entries after the signed head of size {n} are not"
                   " covered by it and were not checked")
        leaves, inputs = leaves[:n], inputs[:n]
    entries_ok = roots.get(n) == sth["root"]
    if not entries_ok and len(leaves) == n:
        problems.append(f"the entries do not hash to the root of the signed head of size {n}"
                        f" (signed {when(sth['timestamp'])}): an entry was changed, dropped,"
                        " added or reordered")
    # recomputed prefixes speak for the signed head only if the entries match it
    problems += check_heads(source, heads, sth, roots if entries_ok else {})
    if problems and last is not None and old_leaves:
        named = name_differences(old_leaves, leaves, inputs, last)
        problems += named or [
            f"entries 0..{last['tree_size'] - 1} are as the signed {head_name(last)} committed"
            f" to them: what differs is among entries {last['tree_size']}..{n - 1}, which no"
            " earlier head covered"]
    elif problems and len(leaves) >= n:
        problems.append("which entries were touched cannot be told without an earlier verified"
                        " copy: the state file keeps one after every successful run")
    if receipt is not None:
        problems += check_receipt(source, receipt, sth, leaves, entries_ok, out)
    if not problems:
        if not any(h["tree_size"] == n and h["root"] == sth["root"] for h in heads):
            fields = ("tree_size", "timestamp", "sha256_root_hash", "tree_head_signature")
            head = {k: sth[k] for k in fields}
            head["seen_on"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            state["heads"].append(head)
        state.update(format=STATE_FORMAT, log_key=key_b64, leaf_hashes=enc(b"".join(leaves)))
        out.append(f"OK: {n} entries hash to the signed head of size {n} (signed"
                   f" {when(sth['timestamp'])}, root {enc(sth['root'])}); " + (
                       f"consistent with {len(heads)} earlier head(s)" if heads else
                       "no earlier head to compare with: this head is now kept"))
    return problems


def check_heads(source: Source, heads: list[dict[str, Any]], sth: dict[str, Any],
                roots: dict[int, bytes]) -> list[str]:
    """Every head seen before must be a prefix of the signed head now served."""
    n, problems = sth["tree_size"], []
    now = f"the signed head of size {n} (signed {when(sth['timestamp'])})"
    for h in heads:
        size = h["tree_size"]
        if size > n:
            problems.append(f"the log shrank: the signed {head_name(h)} is larger than {now}:"
                            " entries were dropped, or the server serves an old head")
        elif size == n and h["root"] != sth["root"]:
            problems.append(f"the log was rewritten: the signed {head_name(h)} has root"
                            f" {enc(h['root'])}, {now} has root {enc(sth['root'])}")
        elif size < n and size in roots and roots[size] != h["root"]:
            problems.append(f"the log was rewritten: the signed {head_name(h)} is not"
                            f" consistent with {now}: its first {size} entries have changed")
        elif size < n and source.http and not verify_consistency(
                size, n, h["root"], sth["root"], source.consistency(size, n)):
            problems.append(f"the log was rewritten: the signed {head_name(h)} is not"
                            f" consistent with {now}: the server's consistency proof fails")
    return problems


def check_receipt(source: Source, receipt: dict[str, Any], sth: dict[str, Any],
                  leaves: list[bytes], entries_ok: bool, out: list[str]) -> list[str]:
    """Is the receipt's leaf in the signed head now served (and at the receipt's index)?"""
    n, leaf = sth["tree_size"], b64(receipt.get("leaf_hash"), "receipt 'leaf_hash'", 32)
    size, want = receipt.get("tree_size"), receipt.get("leaf_index")
    record = f"the receipt's record (leaf hash {enc(leaf)}" + (
        f", entry {want} per the receipt)" if isinstance(want, int) else ")")
    if isinstance(size, int) and size > n:
        return [f"the receipt is for a tree of size {size}, but the log's signed head is only"
                f" of size {n}: the log lost entries, or the server serves an old head"]
    if source.http:
        try:
            index, path = source.proof_by_hash(leaf, n)
        except Failure as exc:
            return [f"{record} is not in the signed head of size {n}: {exc}"]
        proved, how = verify_inclusion(leaf, index, n, path, sth["root"]), "inclusion proof"
    elif not entries_ok:
        return [f"{record} cannot be checked: the entries do not match the signed head"]
    else:  # entries that hash to the signed root include a leaf exactly when they hold it
        index = leaves.index(leaf) if leaf in leaves else -1
        proved, how = index >= 0, "entries"
    if not proved or (isinstance(want, int) and want != index):
        moved = isinstance(want, int) and want < len(leaves) and leaves[want] != leaf
        return [f"{record} is not in the log as the signed head of size {n} commits to it"
                + (f" (the server's {how} does not verify)" if not proved and source.http
                   else "") + (f"; entry {want} now holds another record" if moved else "")]
    out.append(f"OK: the receipt's record is entry {index} of the signed head of size {n}"
               f" (checked by the {how})")
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="the server's base URL, or a directory with a dump")
    parser.add_argument("--state", type=Path, default=Path.home() / ".seleksi-log-heads.json",
                        help="where heads seen before are kept (default: %(default)s)")
    parser.add_argument("--receipt", type=Path, help="a receipt JSON whose record to look for")
    parser.add_argument("--timeout", type=float, default=30.0, help="HTTP timeout in seconds")
    args = parser.parse_args(argv)
    out: list[str] = []
    try:
        receipt = None if args.receipt is None else read_json(args.receipt, "receipt ")
        if receipt is not None and not isinstance(receipt, dict):
            raise Failure(f"receipt {args.receipt}: not a JSON object")
        state = load_state(args.state)
        problems = verify(Source(args.source, args.timeout), state, receipt, out)
    except Failure as exc:
        problems = [str(exc)]
    if out:
        print("\n".join(out))
    if problems:
        print("\n".join(f"FAILED: {p}" for p in problems), file=sys.stderr)
        return 1
    save_state(args.state, state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
