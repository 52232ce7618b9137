"""`Alert`: what a point-of-care check returns (duplicate test, drug interaction, notification)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, List


@dataclass(frozen=True)
class Alert:
    """One alert.

    kind: "duplicate_test", "drug_interaction", "therapeutic_duplication", "admission", "discharge", ...
    severity: "info", "minor", "moderate", "major" or "contraindicated".
    rule_id / source: the rule that fired and its public source (paper, label, guideline).
    evidence: the facts behind it (the prior result, the other drug, organisations, dates).
    """

    kind: str
    severity: str
    message: str
    rule_id: str
    source: str
    evidence: Dict[str, Any] = field(default_factory=dict)

    @classmethod
    def _from_dict(cls, d: Dict[str, Any]) -> "Alert":
        return cls(
            kind=d["kind"],
            severity=d["severity"],
            message=d["message"],
            rule_id=d["rule_id"],
            source=d.get("source", ""),
            evidence=dict(d.get("evidence") or {}),
        )


def alerts_from_json(text: str) -> List[Alert]:
    return [Alert._from_dict(d) for d in json.loads(text)]
