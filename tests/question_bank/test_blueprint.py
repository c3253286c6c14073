"""Blueprints against the bank: cell membership, every short cell listed, data round trip."""

from __future__ import annotations

import pytest

from question_bank.blueprint import (
    blueprint_from_data,
    blueprint_to_data,
    cell_members,
    check_blueprint,
)
from question_bank.errors import BlueprintError
from tests.question_bank.factories import make_pool, tiny_blueprint, tiny_pool


def test_tiny_pool_fills_tiny_blueprint() -> None:
    check_blueprint(tiny_blueprint(), tiny_pool())


def test_every_short_cell_is_listed_with_its_shortfall() -> None:
    pool = make_pool([("TWK", "Nasionalisme", "easy", 2), ("TIU", "Berhitung", "hard", 1)])
    pool += make_pool([("TKP", "Pelayanan Publik", "easy", 5)], status="draft")
    with pytest.raises(BlueprintError) as caught:
        check_blueprint(tiny_blueprint(), pool)
    lines = str(caught.value).splitlines()
    assert "3 cell(s) short" in lines[0]
    assert lines[1:] == [
        "  TWK / Nasionalisme / hard: needs 1, bank has 0 approved items (short by 1)",
        "  TIU / Berhitung / any: needs 3, bank has 1 approved item (short by 2)",
        "  TKP / Pelayanan Publik / any: needs 2, bank has 0 approved items (short by 2)",
    ]


def test_membership_first_match_any_difficulty_and_status_ignored() -> None:
    pool = make_pool([("TIU", "Berhitung", "hard", 2), ("TIU", "Berhitung", None, 1),
                      ("TWK", "Nasionalisme", None, 1), ("TIU", "Analogi", "easy", 1)])
    members = cell_members(tiny_blueprint(), pool)
    # TWK easy, TWK hard, TIU Berhitung any, TKP Pelayanan Publik any
    assert members == [[], [], [0, 1, 2], []]


def test_blueprint_data_round_trip() -> None:
    bp = tiny_blueprint()
    assert blueprint_from_data(blueprint_to_data(bp)) == bp
    data = blueprint_to_data(bp)
    data["sections"][0]["cells"][0]["count"] = 0
    with pytest.raises(BlueprintError, match="malformed"):
        blueprint_from_data(data)
    with pytest.raises(BlueprintError, match="malformed"):
        blueprint_from_data({"sections": 3})
