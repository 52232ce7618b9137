"""`Network`: the Python face of the merged patient network."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Union

from . import _cin_core
from ._table import Table

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class IngestIssue:
    """One problem met while loading: feed kind, location (file:line entry n field f), message."""

    source: str
    location: str
    message: str


@dataclass(frozen=True)
class IngestReport:
    """What a load did: records loaded and skipped per kind, and every issue with its location."""

    loaded: Dict[str, int] = field(default_factory=dict)
    skipped: Dict[str, int] = field(default_factory=dict)
    errors: List[IngestIssue] = field(default_factory=list)

    @classmethod
    def _from_native(cls, d: Dict[str, Any]) -> "IngestReport":
        return cls(
            loaded=dict(d["loaded"]),
            skipped=dict(d["skipped"]),
            errors=[IngestIssue(*e) for e in d["errors"]],
        )


class Network:
    """A clinically integrated network: every organisation's data merged per patient.

    >>> net = cin_core.Network()                                 # doctest: +SKIP
    >>> rep = net.load_fhir("bundles/")                          # doctest: +SKIP
    >>> net.readmissions(days=30).to_pandas()                    # doctest: +SKIP
    """

    __slots__ = ("_native",)

    def __init__(self) -> None:
        self._native = _cin_core.NativeNetwork()

    def counts(self) -> Dict[str, int]:
        """Record counts: patients, organizations, encounters, conditions, observations, ..."""
        return self._native.counts()

    def encounters(self) -> Table:
        """encounter_id, patient_id, org_id, setting, start, end, discharge_disposition."""
        return Table(self._native.encounters())

    def readmissions(self, days: int = 30) -> Table:
        """Unplanned readmissions within ``days`` of an eligible acute discharge (transfer-chained).

        Columns: patient_id, index_encounter_id, index_discharge, readmit_encounter_id, readmit_admit,
        days_between, cross_org.
        """
        return Table(self._native.readmissions(int(days)))

    def followups(self, days: int = 7) -> Table:
        """Discharges to the community and the first follow-up visit within ``days`` (None when missed).

        Columns: patient_id, discharge_encounter_id, discharge, followup_encounter_id, days.
        """
        return Table(self._native.followups(int(days)))

    def report(self) -> Dict[str, Any]:
        """The network report (same as ``network_report --json``) as a dict."""
        return json.loads(self._native.report_json())

    def __repr__(self) -> str:
        c = self.counts()
        return f"<cin_core.Network {c['patients']} patients, {c['encounters']} encounters>"
