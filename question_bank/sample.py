"""A realistic synthetic SKD bank in Indonesian, for the demo, tests and benchmarks.

Items come from parameterised templates per section and topic (``sample_twk``,
``sample_tiu``, ``sample_tkp``). The spread follows ``examples/skd-2024-exam.toml``:

- sections in proportion 30 : 35 : 45 (TWK : TIU : TKP),
- within a section, topics in proportion to the example blueprint's topic counts,
- within a topic, difficulty by position: index mod 10 in 0–2 easy, 3–7 medium, 8–9 hard
  (30 % / 50 % / 20 %).

Every item is ``approved`` and authored by ``seleksi-sample``. The same ``(n_items, seed)``
gives the same items; the stream is :class:`random.Random`, which is fine for sample data
(papers use the keyed stream of ``docs/papers.md``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from question_bank.model import Item, Option
from question_bank.sample_tiu import GENERATORS as TIU
from question_bank.sample_tkp import GENERATORS as TKP
from question_bank.sample_twk import GENERATORS as TWK
from question_bank.sample_words import Draft

AUTHOR = "seleksi-sample"
LABELS = ("A", "B", "C", "D", "E")
DIFFICULTY_BY_DIGIT = ("easy",) * 3 + ("medium",) * 5 + ("hard",) * 2
LEVEL = {"easy": 0, "medium": 1, "hard": 2}

#: Section → (weight, [(topic, weight)]): the example blueprint's counts.
SPREAD: dict[str, tuple[int, list[tuple[str, int]]]] = {
    "TWK": (30, [("Nasionalisme", 6), ("Integritas", 6), ("Bela Negara", 6),
                 ("Pilar Negara", 6), ("Bahasa Indonesia", 6)]),
    "TIU": (35, [("Analogi", 5), ("Silogisme", 5), ("Analitis", 5), ("Berhitung", 5),
                 ("Deret Angka", 5), ("Perbandingan Kuantitatif", 5), ("Soal Cerita", 5)]),
    "TKP": (45, [("Pelayanan Publik", 8), ("Jejaring Kerja", 8), ("Sosial Budaya", 8),
                 ("Teknologi Informasi dan Komunikasi", 7), ("Profesionalisme", 7),
                 ("Anti Radikalisme", 7)]),
}
GENERATORS: dict[str, dict[str, Callable[[random.Random, int], Draft]]] = {
    "TWK": TWK, "TIU": TIU, "TKP": TKP,
}


def apportion(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder, ties to the first)."""
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    rests = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in rests[:total - sum(shares)]:
        shares[i] += 1
    return shares


def sample_bank(n_items: int, seed: int = 0) -> list[Item]:
    """``n_items`` synthetic SKD items (TWK, TIU, TKP), deterministic in ``(n_items, seed)``.

    Parameters
    ----------
    n_items
        Total number of items; 600 fills ``examples/skd-2024-exam.toml`` comfortably.
    seed
        Seed of the :class:`random.Random` stream; another seed gives other items.

    Returns
    -------
    list of Item
        Ordered by section (TWK, TIU, TKP), then topic; ids ``TWK-0001``… per section.
    """
    if n_items < 0:
        raise ValueError(f"n_items must be 0 or more, got {n_items}")
    rng = random.Random(seed)  # noqa: S311 - sample data, not papers
    items: list[Item] = []
    sections = list(SPREAD)
    for section, count in zip(sections, apportion(n_items, [SPREAD[s][0] for s in sections]),
                              strict=True):
        topics = SPREAD[section][1]
        number = 0
        for (topic, _), per_topic in zip(topics, apportion(count, [w for _, w in topics]),
                                         strict=True):
            for index in range(per_topic):
                number += 1
                difficulty = DIFFICULTY_BY_DIGIT[index % 10]
                generate = GENERATORS[section][topic]
                options, draft = _options(rng, generate, LEVEL[difficulty])
                items.append(Item(
                    id=f"{section}-{number:04d}", section=section, topic=topic,
                    stem=draft.stem, options=options, explanation=draft.explanation,
                    difficulty=difficulty, status="approved", author=AUTHOR))
    return items


def _options(rng: random.Random, generate: Callable[[random.Random, int], Draft],
             level: int) -> tuple[tuple[Option, ...], Draft]:
    """Draw a draft whose five option texts are distinct, and shuffle them onto A–E."""
    for _ in range(50):
        draft = generate(rng, level)
        if draft.graded:
            pairs = list(draft.graded)
        else:
            pairs = [(draft.correct, 5)] + [(w, 0) for w in draft.wrong]
        texts = [t.strip().lower() for t, _ in pairs]
        if len(pairs) == len(LABELS) and len(set(texts)) == len(texts) and all(texts):
            rng.shuffle(pairs)
            return tuple(Option(label, text, points)
                         for label, (text, points) in zip(LABELS, pairs, strict=True)), draft
    raise RuntimeError(f"template {generate.__name__} keeps drawing repeated options")
