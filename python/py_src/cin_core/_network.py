"""`Network`: the Python face of the merged patient network."""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple, Union

from . import _cin_core
from ._alert import Alert, alerts_from_json
from ._table import Table

PathLike = Union[str, "os.PathLike[str]"]
TimeLike = Union[str, "datetime.date", "datetime.datetime", None]


def _iso(t: TimeLike) -> Optional[str]:
    """ISO-8601 text for a time argument (str passes through; date/datetime are formatted)."""
    if t is None:
        return None
    if isinstance(t, str):
        return t
    if isinstance(t, (datetime.date, datetime.datetime)):
        return t.isoformat()
    if hasattr(t, "isoformat"):  # pandas.Timestamp, numpy datetime64 via pandas
        return t.isoformat()
    raise TypeError(f"expected an ISO-8601 string, date or datetime, got {type(t).__name__}")


@dataclass(frozen=True)
class Hl7Result:
    """The outcome of one real-time HL7 v2 message: alerts to route and the ACK to send back."""

    alerts: List[Alert]
    ack: str
    report: "IngestReport"


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

    @classmethod
    def synthetic(cls, patients: int = 10_000, seed: int = 42) -> "Network":
        """The built-in synthetic network: hospitals, practices, specialists, SNF, home health and
        community organisations with realistic chronic disease, stays, labs and medications.
        Deterministic for a given (patients, seed).

        >>> net = cin_core.Network.synthetic(patients=1_000, seed=7)     # doctest: +SKIP
        """
        if patients < 0:
            raise ValueError("patients must be >= 0")
        net = cls.__new__(cls)
        net._native = _cin_core.NativeNetwork.synthetic(int(patients), int(seed))
        return net

    # ---- loading ---------------------------------------------------------------------------

    def load_synthea_csv(self, path: PathLike) -> IngestReport:
        """Load a Synthea CSV export directory (columns matched by header name)."""
        return IngestReport._from_native(self._native.load_synthea_csv(os.fspath(path)))

    def load_fhir(self, path: PathLike) -> IngestReport:
        """Load FHIR R4 JSON: a Bundle or resource (.json), bulk data (.ndjson) or a directory."""
        return IngestReport._from_native(self._native.load_fhir(os.fspath(path)))

    def load_hl7(self, path_or_text: Union[PathLike, str, bytes]) -> IngestReport:
        """Load HL7 v2 messages from a file, a directory, or the message text itself."""
        if isinstance(path_or_text, bytes):
            return IngestReport._from_native(self._native.load_hl7_bytes(path_or_text, "<bytes>"))
        text = os.fspath(path_or_text)
        if "MSH" in text[:4096] and ("|" in text[:16] or "\r" in text or "\n" in text):
            return IngestReport._from_native(self._native.load_hl7_bytes(text.encode(), "<text>"))
        return IngestReport._from_native(self._native.load_hl7(text))

    def load_claims_tuva(self, path: PathLike) -> IngestReport:
        """Load Tuva Project input-layer claims (medical_claim, pharmacy_claim, eligibility CSVs)."""
        return IngestReport._from_native(self._native.load_claims_tuva(os.fspath(path)))

    def ingest_hl7(self, message: Union[str, bytes]) -> Hl7Result:
        """One HL7 v2 message in real time: returns the alerts it raises and the ACK to send."""
        if isinstance(message, bytes):
            message = message.decode("utf-8", errors="replace")
        alerts, ack, rep = self._native.ingest_hl7(message)
        return Hl7Result(alerts_from_json(alerts), ack, IngestReport._from_native(rep))

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

    def risk(self) -> Table:
        """Per patient: patient_id, charlson, elixhauser, hcc_v28 (None without demographics),
        lace (None without a stay), tier."""
        return Table(self._native.risk())

    def registries(self) -> Table:
        """Chronic-disease registry membership: patient_id, registry."""
        return Table(self._native.registries())

    def duplicate_tests(self) -> Table:
        """Every repeat of a test inside its minimum retest interval, across organisations.

        Columns: patient_id, test_family, first_code, first_time, first_org, repeat_code,
        repeat_time, repeat_org, interval_days, min_interval_days.
        """
        return Table(self._native.duplicate_tests())

    def drug_interactions(self) -> Table:
        """Interacting pairs among every patient's active medications from all prescribers.

        Columns: patient_id, drug_a, drug_b, severity, rule_id, prescriber_org_a, prescriber_org_b.
        """
        return Table(self._native.drug_interactions())

    def check_order(
        self, patient_id: str, system: str, code: str, at: TimeLike = None, org: Optional[str] = None
    ) -> List[Alert]:
        """Order-entry check: is this test a duplicate of a recent result or pending order anywhere
        in the network? Alerts carry the prior result (value, unit, date, organisation)."""
        return alerts_from_json(self._native.check_order(patient_id, system, code, _iso(at), org))

    def check_prescription(
        self, patient_id: str, drug: str, at: TimeLike = None, org: Optional[str] = None
    ) -> List[Alert]:
        """Prescribing check: the new drug (RxCUI or name) against the patient's active
        medications from every prescriber; interactions and therapeutic duplications."""
        return alerts_from_json(self._native.check_prescription(patient_id, drug, _iso(at), org))

    def measures(self, period: Optional[Tuple[TimeLike, TimeLike]] = None) -> Table:
        """Quality measures per network, organization, practice and practitioner.

        Columns: measure_id, level, entity_id, denominator, numerator, rate (plus percentile, rank).
        ``period`` = (start, end) dates; default the last full calendar year in the data.
        """
        start, end = (None, None) if period is None else (_iso(period[0]), _iso(period[1]))
        return Table(self._native.measures(start, end))

    def care_gaps(self, period: Optional[Tuple[TimeLike, TimeLike]] = None) -> Table:
        """Open care gaps with a concrete reason: patient_id, measure_id, reason."""
        start, end = (None, None) if period is None else (_iso(period[0]), _iso(period[1]))
        return Table(self._native.care_gaps(start, end))

    def load_drug_kb(self, data: Union[bytes, str, PathLike], *, replace: bool = False) -> None:
        """Load a vendor or site drug-interaction knowledge base (JSON) from bytes or a file;
        it extends the embedded one, or replaces it with ``replace=True``."""
        raw, name = _read(data)
        self._native.load_drug_kb(raw, name, bool(replace))

    def load_duplicate_rules(self, data: Union[bytes, str, PathLike], *, replace: bool = False) -> None:
        """Load site duplicate-test rules (same format as the embedded rules)."""
        raw, name = _read(data)
        self._native.load_duplicate_rules(raw, name, bool(replace))

    def load_measures(self, data: Union[bytes, str, PathLike], *, replace: bool = False) -> None:
        """Load measure definitions (JSON) that governance added or changed."""
        raw, name = _read(data)
        self._native.load_measures(raw, name, bool(replace))

    def report(self) -> Dict[str, Any]:
        """The network report (same as ``network_report --json``) as a dict."""
        return json.loads(self._native.report_json())

    def __repr__(self) -> str:
        c = self.counts()
        return f"<cin_core.Network {c['patients']} patients, {c['encounters']} encounters>"


def _read(data: Union[bytes, str, PathLike]) -> Tuple[bytes, str]:
    if isinstance(data, bytes):
        return data, "<bytes>"
    path = os.fspath(data)
    if os.path.exists(path):
        with open(path, "rb") as f:
            return f.read(), os.path.basename(path)
    return path.encode(), "<text>"
