"""Result records as leaf inputs, and signed tree heads: signing, verifying, tampering."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from proctor_console.transparency import records
from proctor_console.transparency.exceptions import RecordError, TreeHeadError
from proctor_console.transparency.merkle import EMPTY_ROOT, leaf_hash
from proctor_console.transparency.records import (
    leaf_input,
    parse_leaf_input,
    sign_tree_head,
    tree_head_payload,
    validate_record,
    verify_tree_head,
)
from tests.transparency.helpers import record

KEY = Ed25519PrivateKey.generate()
ROOT = leaf_hash(b"some root")


def test_leaf_input_is_the_canonical_json_of_the_record() -> None:
    rec = record(7, participant="2611 Ñoño", session=3)
    data = leaf_input(rec)
    assert data == json.dumps(rec, sort_keys=True, separators=(",", ":"),
                              ensure_ascii=False).encode("utf-8")
    assert data.startswith(b'{"code":"P","exam":"skd-2026-bkn","kind":"result",')
    assert "Ñoño".encode() in data  # written as itself, not \u escaped
    assert leaf_input(dict(reversed(list(rec.items())))) == data  # key order does not matter
    assert parse_leaf_input(data) == rec


def test_a_correction_may_name_the_entry_it_corrects() -> None:
    rec = record(1, kind="correction", corrects=17, reason="item TIU12 re-keyed")
    assert parse_leaf_input(leaf_input(rec))["corrects"] == 17


@pytest.mark.parametrize(("change", "message"), [
    ({"kind": "draft"}, r"record\['kind'\]: must be one of 'result', 'correction', got 'draft'"),
    ({"exam": ""}, r"record\['exam'\]: must not be empty"),
    ({"participant": 12.0}, r"record\['participant'\]: 12\.0 is a float"),
    ({"session": True}, r"record\['session'\]: must be a non-empty string or an integer"),
    ({"sections": {}}, r"record\['sections'\]: must be a non-empty object"),
    ({"sections": {"TWK": 65, "TIU": "80"}},
     r"record\['sections'\]\['TIU'\]: must be an integer, got '80'"),
    ({"total": 311.5}, r"record\['total'\]: 311\.5 is a float"),
    ({"total": float("nan")}, r"record\['total'\]: nan is not a number"),
    ({"code": " "}, r"record\['code'\]: must be a non-empty string"),
    ({"time": "2026-11-24T01:00:00"}, r"record\['time'\]: .* has no UTC offset"),
    ({"time": "yesterday"}, r"record\['time'\]: 'yesterday' is not ISO 8601"),
    ({"time": 1795000000000}, r"record\['time'\]: must be an ISO 8601 string"),
    ({"corrects": -1}, r"record\['corrects'\]: must be a leaf index"),
    ({"extra": {"a": [1, {2: 3}]}}, r"record\['extra'\]\['a'\]\[1\]: key 2 must be a string"),
    ({"extra": {1, 2}}, r"record\['extra'\]: set cannot be written as JSON"),
])
def test_invalid_records_are_refused_naming_the_key(change: dict[str, Any], message: str) -> None:
    with pytest.raises(RecordError, match=message):
        leaf_input(record(1, **change))


def test_missing_keys_are_all_named() -> None:
    rec = record(1)
    del rec["total"], rec["time"]
    with pytest.raises(RecordError, match=r"missing required key\(s\) 'total', 'time'"):
        validate_record(rec)
    with pytest.raises(RecordError, match="must be a JSON object"):
        validate_record([rec])


def test_parse_leaf_input_refuses_non_canonical_bytes() -> None:
    data = leaf_input(record(1))
    with pytest.raises(RecordError, match="not in canonical JSON form"):
        parse_leaf_input(json.dumps(json.loads(data), indent=1).encode())
    with pytest.raises(RecordError, match="not UTF-8 JSON"):
        parse_leaf_input(b"\xff")


def test_sign_and_verify_a_tree_head() -> None:
    sth = sign_tree_head(KEY, 40, 1_795_000_000_123, ROOT)
    assert set(sth) == {"tree_size", "timestamp", "sha256_root_hash", "tree_head_signature"}
    assert sth["sha256_root_hash"] == records.b64encode(ROOT)
    assert verify_tree_head(KEY.public_key(), sth) is True
    assert verify_tree_head(KEY.public_key(), json.loads(json.dumps(sth))) is True
    head = records.parse_tree_head(sth)
    assert (head.tree_size, head.timestamp, head.root) == (40, 1_795_000_000_123, ROOT)
    assert head.to_json() == sth


def test_the_signature_covers_the_canonical_json_of_size_timestamp_and_root() -> None:
    payload = tree_head_payload(40, 1_795_000_000_123, ROOT)
    root_b64 = records.b64encode(ROOT)
    assert payload == (f'{{"sha256_root_hash":"{root_b64}","timestamp":1795000000123,'
                       '"tree_size":40}').encode()
    sth = sign_tree_head(KEY, 40, 1_795_000_000_123, ROOT)
    KEY.public_key().verify(records.b64decode(sth["tree_head_signature"], "sig"), payload)
    empty = sign_tree_head(KEY, 0, 1, EMPTY_ROOT)
    assert verify_tree_head(KEY.public_key(), empty)


@pytest.mark.parametrize(("field", "value"), [
    ("tree_size", 41), ("timestamp", 1_795_000_000_124),
    ("sha256_root_hash", records.b64encode(leaf_hash(b"other root"))),
])
def test_a_changed_field_breaks_the_signature(field: str, value: object) -> None:
    sth = sign_tree_head(KEY, 40, 1_795_000_000_123, ROOT) | {field: value}
    with pytest.raises(TreeHeadError, match="signature does not verify"):
        verify_tree_head(KEY.public_key(), sth)


def test_another_key_or_a_flipped_bit_breaks_the_signature() -> None:
    sth = sign_tree_head(KEY, 40, 1_795_000_000_123, ROOT)
    with pytest.raises(TreeHeadError, match=r"tree_size 40, timestamp 1795000000123"):
        verify_tree_head(Ed25519PrivateKey.generate().public_key(), sth)
    sig = bytearray(records.b64decode(sth["tree_head_signature"], "sig"))
    sig[10] ^= 1
    with pytest.raises(TreeHeadError, match="signature does not verify"):
        verify_tree_head(KEY.public_key(), sth | {"tree_head_signature":
                                                  records.b64encode(bytes(sig))})


@pytest.mark.parametrize(("change", "message"), [
    ({"tree_size": -1}, r"'tree_size' must be a non-negative integer, got -1"),
    ({"timestamp": "now"}, r"'timestamp' must be a non-negative integer"),
    ({"sha256_root_hash": "AAAA"}, r"'sha256_root_hash' must be base64 of 32 bytes, got 3"),
    ({"sha256_root_hash": "not base64!"}, r"'sha256_root_hash' is not valid base64"),
    ({"tree_head_signature": None}, r"'tree_head_signature' must be a base64 string"),
])
def test_malformed_tree_heads_name_the_field(change: dict[str, Any], message: str) -> None:
    sth = sign_tree_head(KEY, 40, 1_795_000_000_123, ROOT) | change
    with pytest.raises(TreeHeadError, match=message):
        verify_tree_head(KEY.public_key(), sth)


def test_missing_field_and_bad_arguments() -> None:
    sth = sign_tree_head(KEY, 40, 1_795_000_000_123, ROOT)
    del sth["timestamp"]
    with pytest.raises(TreeHeadError, match="missing 'timestamp'"):
        verify_tree_head(KEY.public_key(), sth)
    with pytest.raises(TreeHeadError, match="root must be 32 bytes"):
        sign_tree_head(KEY, 1, 1, b"short")
    with pytest.raises(TreeHeadError, match="tree_size must be a non-negative integer"):
        sign_tree_head(KEY, -1, 1, ROOT)


def test_public_key_document_round_trips() -> None:
    doc = records.public_key_json(KEY.public_key())
    assert len(records.b64decode(doc["ed25519"], "key")) == 32
    sth = sign_tree_head(KEY, 1, 2, ROOT)
    assert verify_tree_head(records.load_public_key(doc), sth)
    assert verify_tree_head(records.load_public_key(doc["ed25519"]), sth)
    with pytest.raises(TreeHeadError, match="public key 'ed25519' must be base64 of 32 bytes"):
        records.load_public_key({"ed25519": "AAAA"})
