"""An attempt's score and result, from ``scoring/`` (the live score and the final one alike).

The answer journal holds the labels the candidate saw; a paper's option order maps each back
to the item's own label, and the session's answer key (one ``KeyTable`` of the items in the
session, keyed by ``ref``) scores them with ``scoring.services.score_answers``, the scalar
form of the batch scorer ``seleksi score`` uses. The decision is ``scoring.services.decide``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from question_bank.model import ItemVersion
from question_bank.papers import Paper
from scoring.services import (
    AttemptScore,
    KeyTable,
    Scheme,
    build_key,
    decide,
    explain,
    rule_checks,
    score_answers,
)


def session_key_table(scheme: Scheme, items: Mapping[str, ItemVersion]) -> KeyTable:
    """The answer key of a session's items, rows named by item ref (``TIU-0042@3``)."""
    refs = sorted(items)
    return build_key(scheme, refs, [items[r].item.section for r in refs],
                     [items[r].item.points for r in refs])


def original_labels(paper: Paper, items: Mapping[str, ItemVersion],
                    answers: Mapping[int, str | None]) -> list[str | None]:
    """Per question, the item's own label of the option the candidate chose (or None).

    The candidate's i-th shown label stands for the item's option ``option_order[i]``.
    """
    labels: list[str | None] = []
    for q in paper.questions:
        choice = answers.get(q.number)
        if not choice:
            labels.append(None)
            continue
        shown = [o.label for o in items[q.ref].item.options]
        labels.append(q.option_order[shown.index(choice)])
    return labels


def attempt_score(key: KeyTable, paper: Paper, items: Mapping[str, ItemVersion],
                  answers: Mapping[int, str | None]) -> AttemptScore:
    """Section totals and total of one attempt's answers (question number to shown label)."""
    return score_answers(key, list(paper.refs), original_labels(paper, items, answers))


def score_payload(scheme: Scheme, score: AttemptScore) -> dict[str, Any]:
    """``{"sections": {code: points}, "total": points}`` (the live score's shape)."""
    return {"sections": dict(zip(scheme.section_codes, score.sections, strict=True)),
            "total": score.total}


def attempt_result(scheme: Scheme, score: AttemptScore, category: str) -> dict[str, Any]:
    """The result sent at finish: section scores, total, and the decision per the scheme
    (``decision`` in one English line for logs; ``rules`` structured, for the page to show
    in the candidate's language)."""
    totals = np.asarray([score.sections], dtype=np.int32)
    index = scheme.categories.index(category) if category in scheme.categories else -1
    passed = bool(decide(scheme, totals, np.asarray([index])).passed[0])
    return {**score_payload(scheme, score), "max": scheme.max_score, "passed": passed,
            "decision": explain(scheme, score.sections, category),
            "rules": rule_checks(scheme, score.sections, category)}
