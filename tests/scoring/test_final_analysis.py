"""Final integration (SKD 40 % + SKB 60 %) and item analysis against hand computations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scoring.analysis import item_rows, item_statistics, section_statistics
from scoring.exceptions import InputError
from scoring.files import read_table
from scoring.final import integrate
from scoring.report import render_report
from scoring.scheme import load_scheme
from scoring.sheets import section_totals
from tests.scoring.helpers import key_table, random_batch, write_csv

SKD = """participant,formation,category,TWK,TIU,TKP,total,code,rank
a,F,umum,100,100,200,400,P/L,1
b,F,umum,65,80,185,330,P/L,2
c,F,umum,65,80,175,320,P/L,3
d,F,umum,65,80,166,311,P,4
e,G,umum,65,80,166,311,P/L,1
"""


def test_final_integration_by_hand(tmp_path: Path) -> None:
    skd = tmp_path / "results.csv"
    skd.write_text(SKD, encoding="utf-8")
    skb = write_csv(tmp_path / "skb.csv", [["participant", "skb"], ["a", "50"], ["b", "95.5"],
                                           ["c", "95.5"]])
    forms = write_csv(tmp_path / "f.csv", [["formation", "quota"], ["F", 1], ["G", 1]])
    rows = integrate(load_scheme("skd-2024"), read_table(skd), read_table(skb),
                     read_table(forms))
    # a: 40·400/550 + 60·50/100 = 29.09 + 30 = 59.09; b: 40·330/550 + 60·0.955 = 24 + 57.3
    # = 81.30; c: 40·320/550 + 57.3 = 23.27 + 57.3 = 80.57; e has no SKB score: TH.
    assert rows[1:] == [
        ["a", "F", "umum", "400", "72.73", "50.00", "50.00", "59.09", "TL", "3"],
        ["b", "F", "umum", "330", "60.00", "95.50", "95.50", "81.30", "L", "1"],
        ["c", "F", "umum", "320", "58.18", "95.50", "95.50", "80.57", "TL", "2"],
        ["e", "G", "umum", "311", "56.55", "", "", "", "TH", ""]]
    bad = write_csv(tmp_path / "bad.csv", [["participant", "skb"], ["a", "101"]])
    with pytest.raises(InputError, match=r"bad.csv row 2: skb 101 is above the maximum 100"):
        integrate(load_scheme("skd-2024"), read_table(skd), read_table(bad), read_table(forms))


FORMS: list[list[object]] = [["formation", "quota"], ["F", 1], ["G", 1]]


@pytest.mark.parametrize(("skb_rows", "forms", "message"), [
    ([["a", "50"]], [["formation", "quota"], ["F", "1.5"], ["G", 1]],
     r"f\.csv row 2: quota must be an integer, got '1\.5'"),
    ([["a", "50"]], [*FORMS, ["F", 9]],
     r"f\.csv row 4: formation 'F' appears twice \(first at row 2\)"),
    ([["a", "50"], ["d", "90"]], FORMS,
     r"skb\.csv row 3: participant 'd' did not go on to SKB \(code P in results\.csv"),
    ([["zz", "50"]], FORMS, r"skb\.csv row 2: participant 'zz' is not in results\.csv"),
    ([["a", "50"], ["a", "60"]], FORMS, r"skb\.csv row 3: participant 'a' appears twice"),
])
def test_final_refuses_loose_input(tmp_path: Path, skb_rows: list[list[str]],
                                   forms: list[list[object]], message: str) -> None:
    skd = tmp_path / "results.csv"
    skd.write_text(SKD, encoding="utf-8")
    skb = write_csv(tmp_path / "skb.csv", [["participant", "skb"], *skb_rows])
    f = write_csv(tmp_path / "f.csv", forms)
    with pytest.raises(InputError, match=message):
        integrate(load_scheme("skd-2024"), read_table(skd), read_table(skb), read_table(f))


def test_an_empty_skb_cell_is_absent_at_skb(tmp_path: Path) -> None:
    skd = tmp_path / "results.csv"
    skd.write_text(SKD, encoding="utf-8")
    skb = write_csv(tmp_path / "skb.csv", [["participant", "skb"], ["a", ""], ["b", "80"]])
    rows = integrate(load_scheme("skd-2024"), read_table(skd), read_table(skb),
                     read_table(write_csv(tmp_path / "f.csv", FORMS)))
    codes = {r[0]: (r[5], r[8], r[9]) for r in rows[1:]}
    assert codes == {"a": ("", "TH", ""), "b": ("80.00", "L", "1"), "c": ("", "TH", ""),
                     "e": ("", "TH", "")}


def test_item_statistics_on_a_fixed_form_match_the_textbook() -> None:
    key = key_table("skd-2024")
    rng = np.random.default_rng(5)
    n = 400
    items = np.tile(np.arange(110, dtype=np.int32), (n, 1))
    ability = rng.uniform(0, 1, size=(n, 1))
    choices = np.where(rng.uniform(size=(n, 110)) < ability, 0,
                       rng.integers(1, 5, size=(n, 110))).astype(np.int8)
    stats = item_statistics(key, items, choices)
    correct = (choices[:, :30] == 0).astype(float)  # TWK items: A is keyed
    assert np.allclose(stats.p_value[:30], correct.mean(axis=0))
    rest = correct.sum(axis=1, keepdims=True) - correct
    expected_r = [np.corrcoef(correct[:, i], rest[:, i])[0, 1] for i in range(30)]
    assert np.allclose(stats.point_biserial[:30], expected_r)
    assert np.allclose(stats.shares[:30, 1], correct.mean(axis=0))
    assert np.allclose(stats.shares.sum(axis=1)[:110], 1.0)
    p = correct.mean(axis=0)
    kr20 = 30 / 29 * (1 - (p * (1 - p)).sum() / correct.sum(axis=1).var())
    twk = section_statistics(key, items, choices)[0]
    assert twk.method == "KR-20"
    assert twk.reliability == pytest.approx(kr20)
    pts = key.points[items[:, 65:], choices[:, 65:].astype(int) + 1].astype(float)
    alpha = 45 / 44 * (1 - pts.var(axis=0).sum() / pts.sum(axis=1).var())
    tkp = section_statistics(key, items, choices)[2]
    assert tkp.method == "Cronbach's alpha"
    assert tkp.reliability == pytest.approx(alpha)


def test_item_rows_and_the_html_report_are_self_contained() -> None:
    key = key_table("skd-2024")
    items, choices = random_batch(key, 300, seed=2, width=110)
    stats = item_statistics(key, items, choices)
    rows = item_rows(key, stats)
    assert rows[0][:7] == ["item_id", "section", "n", "p_value", "point_biserial", "key",
                           "share_blank"]
    assert rows[1][0] == "TWK01"
    assert rows[1][5] == "A"
    page = render_report(key, stats, section_statistics(key, items, choices),
                         section_totals(key, items, choices), "Item analysis")
    assert page.count("<svg") >= 3
    assert "<script" not in page
    assert "src=" not in page
    assert "<link" not in page
    assert "KR-20" in page
    assert "Cronbach" in page


def test_item_csv_leaves_shares_of_missing_options_empty() -> None:
    key = key_table("pppk-2024")
    items, choices = random_batch(key, 200, seed=4, width=145)
    rows = item_rows(key, item_statistics(key, items, choices))
    head = rows[0]
    teknis, manajerial = rows[1], rows[1 + 90]
    assert manajerial[1] == "MANAJERIAL"
    assert manajerial[head.index("share_E")] == ""
    assert manajerial[head.index("share_D")] != ""
    assert teknis[head.index("share_E")] != ""


def test_the_report_shows_every_item_and_leaves_matplotlib_settings_alone() -> None:
    import matplotlib

    key = key_table("pppk-2024")
    items, choices = random_batch(key, 200, seed=4, width=145)
    stats = item_statistics(key, items, choices)
    before = matplotlib.rcParams["svg.hashsalt"]
    page = render_report(key, stats, section_statistics(key, items, choices),
                         section_totals(key, items, choices), "Item analysis")
    assert matplotlib.rcParams["svg.hashsalt"] == before
    assert "<h2>All items (145)</h2>" in page
    for iid in key.item_ids:
        assert f"<td class=l>{iid}</td>" in page
    # a MANAJERIAL row has four option shares and an empty cell for E
    row = page[page.rindex("<td class=l>MANAJERIAL01</td>"):]
    row = row[:row.index("</tr>")]
    assert row.count("<td class=s style=") == 5  # blank, A, B, C, D
    assert "<td class=s></td>" in row
