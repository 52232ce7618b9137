"""`Alert`: what a point-of-care check returns (duplicate test, drug interaction, notification)."""

from __future__ import annotations

from typing import Any, Dict, List, NamedTuple, Sequence, Tuple


class Alert(NamedTuple):
    """One alert from a check or a real-time feed.

    ``kind``: "duplicate_test", "drug_interaction", "therapeutic_duplication", "admission",
    "discharge", "ed_visit", "readmission", ...; ``severity``: "info", "minor", "moderate",
    "major" or "contraindicated"; ``rule_id`` and ``source``: the rule that fired and its public
    source (paper, label, guideline); ``evidence``: the facts behind it (the prior result, the
    other drug, organisations, dates). Messages carry no patient data.

    >>> [a.kind for a in cin_core.check_interactions(["warfarin", "ibuprofen"])]  # doctest: +SKIP
    ['drug_interaction']
    """

    kind: str
    severity: str
    message: str
    rule_id: str
    source: str
    evidence: Dict[str, Any]


_make = Alert._make


def alerts(raw: Sequence[Tuple[str, str, str, str, str, Dict[str, Any]]]) -> List[Alert]:
    """Native alert tuples as `Alert`s."""
    return [_make(t) for t in raw]
