"""The synthetic sample bank: spread, validity, correct keys, determinism, speed."""

from __future__ import annotations

import re
import time
import tomllib
from collections import Counter
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from question_bank.model import Item, check_item
from question_bank.sample import apportion, sample_bank
from scoring.scheme import section_catalogue

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bank600() -> list[Item]:
    return sample_bank(600)


@pytest.fixture(scope="module")
def bank3000() -> list[Item]:
    return sample_bank(3000)


def key(item: Item) -> str:
    return max(item.options, key=lambda o: o.points).text


def blueprint() -> list[dict[str, Any]]:
    exam = tomllib.loads((ROOT / "examples" / "skd-2024-exam.toml").read_text("utf-8"))
    return [{"section": b["section"], **cell} for b in exam["blueprint"] for cell in b["cells"]]


@pytest.mark.parametrize(("n", "factor"), [(600, 1), (3000, 5)])
def test_fills_the_example_blueprint(n: int, factor: int) -> None:
    items = sample_bank(n)
    have = Counter((i.section, i.topic, i.difficulty) for i in items)
    topics = Counter((i.section, i.topic) for i in items)
    for cell in blueprint():
        if "difficulty" in cell:
            available = have[(cell["section"], cell["topic"], cell["difficulty"])]
        else:
            available = topics[(cell["section"], cell["topic"])]
        assert available >= factor * int(cell["count"]) * 2, cell  # room for exposure control


def test_spread_follows_sections_topics_and_difficulty(bank3000: list[Item]) -> None:
    sections = Counter(i.section for i in bank3000)
    assert [sections[s] for s in ("TWK", "TIU", "TKP")] == apportion(3000, [30, 35, 45])
    assert sum(sections.values()) == 3000
    tkp = Counter(i.topic for i in bank3000 if i.section == "TKP")
    assert tkp["Pelayanan Publik"] > tkp["Anti Radikalisme"]
    for topic in {i.topic for i in bank3000}:
        levels = Counter(i.difficulty for i in bank3000 if i.topic == topic)
        total = sum(levels.values())
        for level, share in (("easy", 0.3), ("medium", 0.5), ("hard", 0.2)):
            assert abs(levels[level] - share * total) <= 3, (topic, levels)


def test_items_are_valid_approved_and_ids_per_section(bank600: list[Item]) -> None:
    sections = section_catalogue()
    assert all(check_item(i, sections) == [] for i in bank600)
    assert {i.status for i in bank600} == {"approved"}
    assert {i.author for i in bank600} == {"seleksi-sample"}
    twk = [i.id for i in bank600 if i.section == "TWK"]
    assert twk[:2] == ["TWK-0001", "TWK-0002"]
    assert len(set(twk)) == len(twk)
    assert len({i.id for i in bank600}) == 600


def test_keys_are_placed_at_varied_labels_and_tkp_is_graded(bank600: list[Item]) -> None:
    best = Counter(max(i.options, key=lambda o: o.points).label
                   for i in bank600 if i.section != "TKP")
    assert set(best) == set("ABCDE")
    assert min(best.values()) > 40
    for item in (i for i in bank600 if i.section == "TKP"):
        assert sorted(o.points for o in item.options) == [1, 2, 3, 4, 5]
    orders = {tuple(o.points for o in i.options) for i in bank600 if i.section == "TKP"}
    assert len(orders) > 50


def test_items_are_varied(bank3000: list[Item]) -> None:
    for topic in {i.topic for i in bank3000}:
        stems = [i.stem for i in bank3000 if i.topic == topic]
        assert len(set(stems)) > len(stems) // 5, topic
    assert all(len({o.text for o in i.options}) == len(i.options) for i in bank3000)


def _number(text: str) -> int:
    return int(text.replace("Rp", "").replace(".", ""))


def test_arithmetic_keys_are_right(bank3000: list[Item]) -> None:
    checked: Counter[str] = Counter()
    for item in bank3000:
        stem, answer = item.stem, key(item)
        if m := re.fullmatch(r"Hasil dari (\d+)% × (\d+)(?: \+ (\d+))? = \.\.\.", stem):
            expect = int(m[1]) * int(m[2]) // 100 + int(m[3] or 0)
            assert int(m[1]) * int(m[2]) % 100 == 0
        elif m := re.fullmatch(r"Hasil dari (\d+) × (\d+) − (\d+) : (\d+) = \.\.\.", stem):
            expect = int(m[1]) * int(m[2]) - int(m[3]) // int(m[4])
        elif m := re.fullmatch(r"Hasil dari √(\d+) \+ (\d+)² = \.\.\.", stem):
            expect = round(int(m[1]) ** 0.5) + int(m[2]) ** 2
        elif m := re.fullmatch(r"Hasil dari (\d+)/(\d+) \+ (\d+)/(\d+) adalah \.\.\.", stem):
            total = Fraction(int(m[1]), int(m[2])) + Fraction(int(m[3]), int(m[4]))
            assert Fraction(answer) == total
            checked["fraction"] += 1
            continue
        elif m := re.match(r"Diketahui P = (\d+)% dari (\d+) dan Q = (\d+)/(\d+) dari (\d+)",
                           stem):
            p = Fraction(int(m[1]) * int(m[2]), 100)
            q = Fraction(int(m[3]) * int(m[5]), int(m[4]))
            assert answer == ("P > Q" if p > q else "P < Q" if p < q else "P = Q")
            checked["compare"] += 1
            continue
        elif m := re.search(r"dalam (\d+) hari, sedangkan \w+ dalam (\d+) hari", stem):
            a, b = int(m[1]), int(m[2])
            assert Fraction(1, a) + Fraction(1, b) == Fraction(1, int(answer))
            checked["work"] += 1
            continue
        elif m := re.search(r"seharga (Rp[\d.]+) dengan diskon (\d+)%(?: dan diskon lanjutan "
                            r"(\d+)%)?", stem):
            price = _number(m[1]) * (100 - int(m[2])) // 100 * (100 - int(m[3] or 0)) // 100
            assert _number(answer) == price
            checked["discount"] += 1
            continue
        elif m := re.search(r"sekarang (\d) kali umur \w+\. (\d+) tahun lagi, jumlah umur "
                            r"mereka (\d+) tahun", stem):
            k, later, total_age = int(m[1]), int(m[2]), int(m[3])
            old = int(answer)
            assert old + old // k + 2 * later == total_age
            assert old % k == 0
            checked["age"] += 1
            continue
        elif m := re.search(r"Rata-rata nilai (\d+) peserta .* adalah (\d+)\. Setelah nilai "
                            r"\w+ ditambahkan, rata-ratanya menjadi (\d+)\.", stem):
            n, mean, new = int(m[1]), int(m[2]), int(m[3])
            assert (n * mean + int(answer)) == new * (n + 1)
            checked["average"] += 1
            continue
        elif m := re.fullmatch(r"Suku berikutnya dari deret ([\d, ]+), \.\.\. adalah \.\.\.",
                               stem):
            t = [int(x) for x in m[1].split(", ")]
            d = [b - a for a, b in zip(t, t[1:], strict=False)]
            candidates = {t[-1] + d[-1], t[-1] * (t[-1] // t[-2]) if t[-2] else None,
                          t[-1] + d[-1] + (d[-1] - d[-2]), t[-2] + (t[-2] - t[-4]),
                          t[-1] + t[-2]}
            if d == [d[0]] * 5:
                candidates = {t[-1] + d[0]}
            assert int(answer) in candidates, (t, answer)
            checked["series"] += 1
            continue
        else:
            continue
        assert int(answer) == expect, (stem, answer)
        checked["arith"] += 1
    assert min(checked.values()) >= 10, checked
    assert len(checked) == 8, checked


def test_deterministic_and_seeded(bank600: list[Item]) -> None:
    assert sample_bank(600) == bank600
    other = sample_bank(600, seed=1)
    assert other != bank600
    assert [i.id for i in other] == [i.id for i in bank600]  # same spread, other content
    assert sample_bank(0) == []
    assert len(sample_bank(7)) == 7
    with pytest.raises(ValueError, match="n_items"):
        sample_bank(-1)


def test_three_thousand_items_are_quick() -> None:
    start = time.perf_counter()
    sample_bank(3000, seed=42)
    assert time.perf_counter() - start < 1.5
