"""RFC 6962 reference values used by Certificate Transparency implementations.

The 8-leaf tree, its roots for every size, the audit paths and consistency proofs, and the
probes that must fail are those of transparency-dev/merkle, ``proof/verify_test.go``
(``leaves``, ``roots``, ``inclusionProofs``, ``consistencyProofs``, ``corruptInclusionProof``,
``corruptConsistencyProof``, ``TestVerifyConsistency``); the same vectors were in
google/certificate-transparency's ``merkle_tree_test``. The leaf and node hashes are
transparency-dev/merkle ``rfc6962/rfc6962_test.go`` (``TestRFC6962Hasher``). There, leaf
numbers in ``inclusionProofs`` are 1-based; here indices are 0-based.
"""

from __future__ import annotations

import hashlib

import pytest

from proctor_console.transparency import merkle
from proctor_console.transparency.exceptions import MerkleError
from proctor_console.transparency.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    audit_path,
    consistency_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)
from tests.transparency.helpers import load_verifier


def h(text: str) -> bytes:
    return bytes.fromhex(text)


LEAVES = [h(x) for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                         "606162636465666768696a6b6c6d6e6f")]
LEAF_HASHES = [leaf_hash(x) for x in LEAVES]
ROOTS = [h(x) for x in (  # roots[n - 1] is MTH of the first n leaves
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")]
INCLUSION = [  # (index, tree_size, path)
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (0, 1, []),
]
CONSISTENCY = [  # (m, n, proof)
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")
VERIFIER = load_verifier()  # tools/verify_log.py keeps its own copy of the math: test both


def test_leaf_node_and_empty_hashes() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root([]) == EMPTY_ROOT == MerkleTree().root()
    assert leaf_hash(b"") == ROOTS[0]  # the empty leaf is not the empty tree
    assert leaf_hash(b"L123456").hex() == (
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56")
    assert node_hash(b"N123", b"N456").hex() == (
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb")
    assert VERIFIER.leaf_hash(b"L123456") == leaf_hash(b"L123456")
    assert VERIFIER.node_hash(b"N123", b"N456") == node_hash(b"N123", b"N456")
    assert leaf_hash(LEAF_HASHES[0] + LEAF_HASHES[1]) != node_hash(*LEAF_HASHES[:2])


@pytest.mark.parametrize("n", range(1, 9))
def test_roots_of_every_prefix(n: int) -> None:
    assert root(LEAF_HASHES[:n]) == ROOTS[n - 1]
    assert MerkleTree(LEAF_HASHES).root(n) == ROOTS[n - 1]
    assert MerkleTree(LEAF_HASHES[:n]).root() == ROOTS[n - 1]
    assert VERIFIER.prefix_roots(LEAF_HASHES, {n})[n] == ROOTS[n - 1]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_known_audit_paths(index: int, size: int, path: list[str]) -> None:
    expected = [h(p) for p in path]
    assert audit_path(index, LEAF_HASHES[:size]) == expected
    assert MerkleTree(LEAF_HASHES).audit_path(index, size) == expected
    assert verify_inclusion(LEAF_HASHES[index], index, size, expected, ROOTS[size - 1])
    assert VERIFIER.verify_inclusion(LEAF_HASHES[index], index, size, expected, ROOTS[size - 1])


@pytest.mark.parametrize(("m", "n", "proof"), CONSISTENCY)
def test_known_consistency_proofs(m: int, n: int, proof: list[str]) -> None:
    expected = [h(p) for p in proof]
    assert consistency_proof(m, LEAF_HASHES[:n]) == expected
    assert MerkleTree(LEAF_HASHES).consistency_proof(m, n) == expected
    assert verify_consistency(m, n, ROOTS[m - 1], ROOTS[n - 1], expected)
    assert VERIFIER.verify_consistency(m, n, ROOTS[m - 1], ROOTS[n - 1], expected)


def inclusion_probes(index: int, size: int, path: list[bytes], rt: bytes,
                     leaf: bytes) -> list[tuple[str, int, int, list[bytes], bytes, bytes]]:
    """transparency-dev's corruptInclusionProof: each must fail."""
    probes = [
        ("index - 1", index - 1, size, path, rt, leaf),
        ("index + 1", index + 1, size, path, rt, leaf),
        ("index ^ 2", index ^ 2, size, path, rt, leaf),
        ("size * 2", index, size * 2, path, rt, leaf),
        ("size / 2", index, size // 2, path, rt, leaf),
        ("wrong leaf", index, size, path, rt, b"WrongLeaf"),
        ("empty root", index, size, path, EMPTY_ROOT, leaf),
        ("random root", index, size, path, SOME_HASH, leaf),
        ("trailing garbage", index, size, [*path, b""], rt, leaf),
        ("trailing root", index, size, [*path, rt], rt, leaf),
        ("preceding garbage", index, size, [b"", *path], rt, leaf),
        ("preceding root", index, size, [rt, *path], rt, leaf),
    ]
    for i in range(len(path)):
        bad = [bytes([p[0] ^ 8]) + p[1:] if j == i else p for j, p in enumerate(path)]
        probes.append((f"modified path[{i}] bit 3", index, size, bad, rt, leaf))
    if path:
        probes.append(("removed component", index, size, path[:-1], rt, leaf))
    if len(path) > 1:
        probes.append(("inserted component", index, size, [path[0], SOME_HASH, *path[1:]],
                       rt, leaf))
    return probes


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION[:4])
def test_corrupted_inclusion_proofs_fail(index: int, size: int, path: list[str]) -> None:
    probes = inclusion_probes(index, size, [h(p) for p in path], ROOTS[size - 1],
                              LEAF_HASHES[index])
    for verify in (verify_inclusion, VERIFIER.verify_inclusion):
        wrong = [desc for desc, i, n, pth, rt, leaf in probes if verify(leaf, i, n, pth, rt)]
        assert wrong == [], verify


@pytest.mark.parametrize(("m", "n", "proof"), CONSISTENCY[1:])
def test_corrupted_consistency_proofs_fail(m: int, n: int, proof: list[str]) -> None:
    p, r1, r2 = [h(x) for x in proof], ROOTS[m - 1], ROOTS[n - 1]
    probes = [("size1 - 1", m - 1, n, r1, r2, p), ("size1 + 1", m + 1, n, r1, r2, p),
              ("size1 ^ 2", m ^ 2, n, r1, r2, p), ("size2 * 2", m, n * 2, r1, r2, p),
              ("size2 / 2", m, n // 2, r1, r2, p), ("wrong root1", m, n, b"WrongRoot", r2, p),
              ("wrong root2", m, n, r1, b"WrongRoot", p), ("swapped roots", m, n, r2, r1, p),
              ("empty proof", m, n, r1, r2, []), ("trailing garbage", m, n, r1, r2, [*p, b""]),
              ("trailing root1", m, n, r1, r2, [*p, r1]),
              ("trailing root2", m, n, r1, r2, [*p, r2]),
              ("preceding garbage", m, n, r1, r2, [b"", *p]),
              ("preceding root1", m, n, r1, r2, [r1, *p]),
              ("preceding root2", m, n, r1, r2, [r2, *p]),
              ("preceding proof[0]", m, n, r1, r2, [p[0], *p]),
              ("truncated proof", m, n, r1, r2, p[:-1])]
    for i in range(len(p)):
        bad = [bytes([x[0] ^ 16]) + x[1:] if j == i else x for j, x in enumerate(p)]
        probes.append((f"modified proof[{i}] bit 4", m, n, r1, r2, bad))
    assert [x[0] for x in probes if verify_consistency(*x[1:])] == []
    assert [x[0] for x in probes if VERIFIER.verify_consistency(*x[1:])] == []


ROOT1, ROOT2 = b"don't care 1".ljust(32, b"."), b"don't care 2".ljust(32, b".")


@pytest.mark.parametrize(("m", "n", "r1", "r2", "proof", "holds"), [
    (0, 0, ROOT1, ROOT2, [], False),
    (1, 1, ROOT1, ROOT2, [], False),
    (0, 0, EMPTY_ROOT, EMPTY_ROOT, [], True),       # always consistent sizes
    (0, 1, EMPTY_ROOT, ROOT2, [], True),
    (1, 1, ROOT2, ROOT2, [], True),
    (1, 0, ROOT1, ROOT2, [], False),                # time travel to the past
    (2, 1, ROOT1, ROOT2, [], False),
    (1, 2, ROOT1, ROOT2, [], False),                # empty proof
    (0, 0, EMPTY_ROOT, ROOT2, [], False),           # roots differ
    (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),  # roots match, proof not empty
    (0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
    (1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
    (0, 1, ROOT1, ROOT2, [], False),                # the empty tree's root is SHA-256("")
])
def test_consistency_edge_sizes(m: int, n: int, r1: bytes, r2: bytes, proof: list[bytes],
                                holds: bool) -> None:
    assert verify_consistency(m, n, r1, r2, proof) is holds
    assert VERIFIER.verify_consistency(m, n, r1, r2, proof) is holds


def test_inclusion_edge_cases() -> None:
    one = leaf_hash(b"data")
    assert verify_inclusion(one, 0, 1, [], one)  # a one-leaf tree's root is its leaf hash
    for index, size in [(0, 0), (1, 0), (2, 1), (-1, 1)]:
        assert not verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)
        assert not VERIFIER.verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)
    assert not verify_inclusion(b"", 0, 1, [], b"")  # wrong hash size
    assert not verify_inclusion(one[:31], 0, 1, [], one[:31])
    assert not verify_inclusion(one, True, 2, [one], one)  # a bool is not an index


def test_bad_arguments_are_named() -> None:
    tree = MerkleTree(LEAF_HASHES)
    with pytest.raises(MerkleError, match=r"audit_path: index 8 is outside a tree of 8 leaves"
                                          r" \(valid: 0\.\.7\)"):
        tree.audit_path(8)
    with pytest.raises(MerkleError, match=r"index 0 is outside a tree of 0 leaves \(it is"):
        audit_path(0, [])
    with pytest.raises(MerkleError, match=r"tree_size 9 is outside 0\.\.8"):
        tree.root(9)
    with pytest.raises(MerkleError, match=r"first size 6 is outside 0\.\.5"):
        tree.consistency_proof(6, 5)
    with pytest.raises(MerkleError, match=r"root: leaf hash 1 must be 32 bytes, got 3 bytes"):
        root([LEAF_HASHES[0], b"abc"])
    with pytest.raises(MerkleError, match=r"extend: leaf hash 9 must be 32 bytes, got str"):
        tree.extend([LEAF_HASHES[0], "x"])  # type: ignore[list-item]
    assert len(tree) == 8  # a rejected extend appends nothing
    with pytest.raises(MerkleError, match=r"append: leaf hash 8 must be 32 bytes"):
        tree.append(b"")
    with pytest.raises(MerkleError, match="no split"):
        merkle.split_point(1)


def test_root_streams_any_iterable() -> None:
    assert root(iter(LEAF_HASHES)) == ROOTS[7]
    assert root(bytearray(x) for x in LEAF_HASHES) == ROOTS[7]  # type: ignore[misc]
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
