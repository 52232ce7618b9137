"""`Network`: the Python face of the merged patient network (one `cin_core::Session`)."""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from . import _cin_core
from ._alert import Alert, alerts as _alerts
from ._progress import run as _run
from ._table import Table

PathLike = Union[str, "os.PathLike[str]"]
TimeLike = Union[str, datetime.date, datetime.datetime, None]


def _iso(t: Any) -> Optional[str]:
    """ISO-8601 text for a time argument (str passes through; date/datetime are formatted)."""
    if t is None or isinstance(t, str):
        return t
    if hasattr(t, "isoformat"):  # date, datetime, pandas.Timestamp
        return str(t.isoformat())
    if type(t).__name__ == "datetime64":  # numpy scalar
        return str(t)
    raise TypeError(f"expected an ISO-8601 string, date or datetime, got {type(t).__name__}")


@dataclass(frozen=True)
class IngestIssue:
    """One problem met while loading: ``source`` (feed kind: fhir, synthea_csv, hl7v2,
    claims_tuva), ``location`` (``file:line entry n field f``) and ``message`` (no patient data).

    >>> rep = net.load_hl7("feeds/adt/")                        # doctest: +SKIP
    >>> [(e.location, e.message) for e in rep.errors]           # doctest: +SKIP
    """

    source: str
    location: str
    message: str


@dataclass(frozen=True)
class IngestReport:
    """What a load did: records ``loaded`` and ``skipped`` per kind, and every issue (``errors``)
    with its location. Nothing good is dropped because of a bad record next to it.

    >>> rep = net.load_synthea_csv("synthea/csv")               # doctest: +SKIP
    >>> rep.loaded["encounters"], len(rep.errors)               # doctest: +SKIP
    """

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

    def __repr__(self) -> str:
        n = sum(self.loaded.values())
        s = sum(self.skipped.values())
        return f"<cin_core.IngestReport loaded {n} records, skipped {s}, {len(self.errors)} issues>"


@dataclass(frozen=True)
class Hl7Result:
    """The outcome of one real-time HL7 v2 message: ``alerts`` to route, the ``ack`` text to send
    back (MSA-1 ``AA`` accepted, ``AE``/``AR`` error or reject) and the ingest ``report``.

    >>> res = net.ingest_hl7(adt_a01_text)                       # doctest: +SKIP
    >>> res.ack.split("\\r")[1][:7], [a.kind for a in res.alerts] # doctest: +SKIP
    ('MSA|AA|', ['admission'])
    """

    alerts: List[Alert]
    ack: str
    report: IngestReport


def _looks_like_hl7(text: str) -> bool:
    head = text.lstrip()[:4]
    return len(head) == 4 and head[:3] in ("MSH", "FHS", "BHS") and not head[3].isalnum()


class Network:
    """A clinically integrated network: every organisation's data merged per patient, with the
    knowledge it is checked against (drug-interaction KB, duplicate-test rules, measures).

    Load feeds (``load_fhir``, ``load_synthea_csv``, ``load_hl7``, ``load_claims_tuva``), then ask
    for tables (``encounters``, ``readmissions``, ``followups``, ``risk``, ``registries``,
    ``duplicate_tests``, ``drug_interactions``, ``measures``, ``care_gaps``) or run point-of-care
    checks (``check_order``, ``check_prescription``, ``ingest_hl7``). Tables convert with
    ``.to_pandas()``, ``pyarrow.table(t)`` or ``polars.DataFrame(t)``.

    Calls release the GIL; checks from many threads run in parallel.

    >>> import cin_core
    >>> net = cin_core.Network.synthetic(patients=500, seed=1)
    >>> net.counts()["patients"]
    500
    >>> sorted(set(net.risk()["tier"]))[:2]                      # doctest: +SKIP
    ['high', 'low']
    """

    __slots__ = ("_native",)

    def __init__(self) -> None:
        """An empty network with the embedded knowledge bases."""
        self._native = _cin_core.NativeNetwork()

    @classmethod
    def synthetic(cls, patients: int = 10_000, seed: int = 42, *, progress: bool = False) -> "Network":
        """The built-in synthetic network: hospitals, practices, specialists, SNF, home health and
        community organisations with chronic disease, stays, labs and medications. Deterministic
        for a given (patients, seed).

        >>> cin_core.Network.synthetic(patients=200, seed=7).counts()["patients"]
        200
        """
        if int(patients) < 0:
            raise ValueError("patients must be >= 0")
        net = cls.__new__(cls)
        net._native = _run(
            f"synthetic network ({int(patients):,} patients)",
            lambda: _cin_core.NativeNetwork.synthetic(int(patients), int(seed)),
            progress,
        )
        return net

    # ---- loading ---------------------------------------------------------------------------

    def _load(self, desc: str, call: Any, progress: bool) -> IngestReport:
        return _run(desc, lambda: IngestReport._from_native(call()), progress)

    def load_synthea_csv(self, path: PathLike, *, progress: bool = False) -> IngestReport:
        """Load a Synthea CSV export directory (columns matched by header name).

        >>> rep = net.load_synthea_csv("../shared/data/synthea_csv")    # doctest: +SKIP
        >>> rep.loaded["encounters"]                                    # doctest: +SKIP
        388
        """
        p = os.fspath(path)
        return self._load(f"Synthea CSV {p}", lambda: self._native.load_synthea_csv(p), progress)

    def load_fhir(
        self, path: Union[PathLike, bytes], *, name: Optional[str] = None, progress: bool = False
    ) -> IngestReport:
        """Load FHIR R4 JSON: a Bundle or resource (``.json``), bulk data (``.ndjson``), a
        directory of them, or the JSON itself as ``bytes`` (``name`` labels its issues).

        >>> rep = net.load_fhir("../shared/data/synthea_fhir_ndjson")   # doctest: +SKIP
        """
        if isinstance(path, (bytes, bytearray, memoryview)):
            data = bytes(path)
            label = name or "<bytes>"
            return self._load(f"FHIR {label}", lambda: self._native.load_fhir_bytes(data, label), progress)
        p = os.fspath(path)
        return self._load(f"FHIR {p}", lambda: self._native.load_fhir(p), progress)

    def load_hl7(
        self,
        path_or_text: Union[PathLike, str, bytes],
        *,
        name: Optional[str] = None,
        progress: bool = False,
    ) -> IngestReport:
        """Load HL7 v2 messages from a file, a directory, or the message text itself (``str``
        starting with ``MSH``/``FHS``/``BHS``, or ``bytes``); any segment terminator.

        >>> rep = net.load_hl7("MSH|^~\\\\&|ADT|HOSP|...")            # doctest: +SKIP
        """
        if isinstance(path_or_text, (bytes, bytearray, memoryview)):
            data = bytes(path_or_text)
            label = name or "<bytes>"
            return self._load(f"HL7 {label}", lambda: self._native.load_hl7_bytes(data, label), progress)
        text = os.fspath(path_or_text)
        if _looks_like_hl7(text):
            data = text.encode("utf-8")
            label = name or "<text>"
            return self._load(f"HL7 {label}", lambda: self._native.load_hl7_bytes(data, label), progress)
        return self._load(f"HL7 {text}", lambda: self._native.load_hl7(text), progress)

    def load_claims_tuva(self, path: PathLike, *, progress: bool = False) -> IngestReport:
        """Load Tuva Project input-layer claims (medical_claim, pharmacy_claim, eligibility CSVs).

        >>> rep = net.load_claims_tuva("../shared/data/claims_tuva")    # doctest: +SKIP
        """
        p = os.fspath(path)
        return self._load(f"Tuva claims {p}", lambda: self._native.load_claims_tuva(p), progress)

    def ingest_hl7(self, message: Union[str, bytes]) -> Hl7Result:
        """One HL7 v2 message in real time: updates the network and returns the alerts it raises
        (admission, discharge, readmission, duplicate test, interaction) and the ACK to send. A
        bad message gives an ``AE``/``AR`` ACK and an issue in the report, not an exception.

        >>> res = net.ingest_hl7(open("adt_a01.hl7").read())         # doctest: +SKIP
        >>> res.alerts[0].kind                                        # doctest: +SKIP
        'admission'
        """
        data = message.encode("utf-8") if isinstance(message, str) else bytes(message)
        raw_alerts, ack, rep = self._native.ingest_hl7(data)
        return Hl7Result(_alerts(raw_alerts), ack, IngestReport._from_native(rep))

    def load_drug_kb(self, data: Union[bytes, PathLike], *, replace: bool = False) -> None:
        """Load a vendor or site drug-interaction knowledge base (JSON, file path or bytes): it
        extends the embedded one, or replaces it with ``replace=True``. A malformed file raises
        ``KnowledgeBaseError`` and leaves the current KB in place.

        >>> net.load_drug_kb("site_interactions.json")                # doctest: +SKIP
        """
        raw, name = _read(data)
        self._native.load_drug_kb(raw, name, bool(replace))

    def load_duplicate_rules(self, data: Union[bytes, PathLike]) -> None:
        """Replace the duplicate-test rules with a rule file (JSON, file path or bytes; same format
        as the embedded rules in ``core/data/duptest``).

        >>> net.load_duplicate_rules("site_duptest_rules.json")       # doctest: +SKIP
        """
        raw, name = _read(data)
        self._native.load_duplicate_rules(raw, name)

    def load_measures(self, data: Union[bytes, PathLike]) -> None:
        """Replace the measure set with measure definitions that governance added or changed
        (JSON, file path or bytes; format of ``core/data/measures``).

        >>> net.load_measures("cin_measures_2025.json")               # doctest: +SKIP
        """
        raw, name = _read(data)
        self._native.load_measures(raw, name)

    # ---- tables ----------------------------------------------------------------------------

    def counts(self) -> Dict[str, int]:
        """Record counts: patients, organizations, practitioners, encounters, conditions,
        observations, medications, procedures, diagnoses, care_plans, care_team_members.

        >>> cin_core.Network().counts()["patients"]
        0
        """
        return dict(self._native.counts())

    def encounters(self) -> Table:
        """Every encounter: encounter_id, patient_id, org_id, setting, start, end,
        discharge_disposition.

        >>> net.encounters().to_pandas().groupby("setting").size()     # doctest: +SKIP
        """
        return Table(self._native.encounters())

    def readmissions(self, days: int = 30) -> Table:
        """Unplanned readmissions within ``days`` of an eligible acute discharge (transfers
        chained, across organisations). Columns: patient_id, index_encounter_id, index_discharge,
        readmit_encounter_id, readmit_admit, days_between, cross_org.

        >>> net.readmissions(days=30).to_pandas().cross_org.mean()     # doctest: +SKIP
        """
        return Table(self._native.readmissions(int(days)))

    def followups(self, days: int = 7) -> Table:
        """Discharges to the community and the first ambulatory follow-up within ``days``.
        Columns: patient_id, discharge_encounter_id, discharge, followup_encounter_id (None when
        missed), days.

        >>> t = net.followups(days=7)                                   # doctest: +SKIP
        """
        return Table(self._native.followups(int(days)))

    def risk(self) -> Table:
        """Per patient: patient_id, charlson, elixhauser, hcc_v28 (None without demographics),
        lace (None without a stay), tier (the risk pyramid).

        >>> net.risk().to_pandas()["tier"].value_counts()              # doctest: +SKIP
        """
        return Table(self._native.risk())

    def registries(self) -> Table:
        """Chronic-disease registry membership, one row per patient and registry.

        >>> net.registries().to_pandas()["registry"].value_counts()    # doctest: +SKIP
        """
        return Table(self._native.registries())

    def readmission_risk(self) -> Table:
        """LACE and HOSPITAL readmission scores per acute stay.

        >>> net.readmission_risk().column_names                         # doctest: +SKIP
        """
        return Table(self._native.readmission_risk())

    def duplicate_tests(self) -> Table:
        """Every repeat of a test inside its minimum retest interval, across organisations.
        Columns: patient_id, test_family, first_code, first_time, first_org, repeat_code,
        repeat_time, repeat_org, interval_days, min_interval_days.

        >>> net.duplicate_tests().to_pandas().groupby("repeat_org").size()  # doctest: +SKIP
        """
        return Table(self._native.duplicate_tests())

    def drug_interactions(self) -> Table:
        """Interacting pairs among every patient's active medications from all prescribers.
        Columns: patient_id, drug_a, drug_b, severity, rule_id, prescriber_org_a, prescriber_org_b.

        >>> net.drug_interactions().to_pandas().severity.value_counts()     # doctest: +SKIP
        """
        return Table(self._native.drug_interactions())

    def measures(self, period: Optional[Tuple[TimeLike, TimeLike]] = None) -> Table:
        """Quality measures at every level. Columns: measure_id, level ("network",
        "organization", "practice", "practitioner"), entity_id, denominator, numerator, rate.
        ``period`` = (start, end) dates; default the last full calendar year in the data.

        >>> m = net.measures(period=("2024-01-01", "2024-12-31"))       # doctest: +SKIP
        """
        start, end = (None, None) if period is None else (_iso(period[0]), _iso(period[1]))
        return Table(self._native.measures(start, end))

    def care_gaps(self, period: Optional[Tuple[TimeLike, TimeLike]] = None) -> Table:
        """Open care gaps with a concrete reason: patient_id, measure_id, reason (period as for
        :meth:`measures`).

        >>> net.care_gaps().to_pandas().measure_id.value_counts()      # doctest: +SKIP
        """
        start, end = (None, None) if period is None else (_iso(period[0]), _iso(period[1]))
        return Table(self._native.care_gaps(start, end))

    # ---- point-of-care checks ----------------------------------------------------------------

    def check_order(
        self,
        patient_id: str,
        system: str,
        code: str,
        at: TimeLike = None,
        org: Optional[str] = None,
    ) -> List[Alert]:
        """Order-entry check: is this test (``system`` "LOINC", "CPT", "SNOMED" or a FHIR URI)
        a duplicate of a recent result or order anywhere in the network? Alerts carry the prior
        result (value, unit, date, organisation). ``at`` defaults to now.

        >>> net.check_order("p1", "LOINC", "4548-4", at="2024-03-01")   # doctest: +SKIP
        [Alert(kind='duplicate_test', severity='moderate', ...)]
        """
        if at is not None and not isinstance(at, str):
            at = _iso(at)
        return _alerts(self._native.check_order(patient_id, system, code, at, org))

    def check_prescription(
        self,
        patient_id: str,
        drug: str,
        at: TimeLike = None,
        org: Optional[str] = None,
    ) -> List[Alert]:
        """Prescribing check: the new drug (RxCUI, NDC or name) against the patient's active
        medications from every prescriber; interactions and therapeutic duplications.

        >>> net.check_prescription("p1", "ibuprofen")                  # doctest: +SKIP
        [Alert(kind='drug_interaction', severity='major', ...)]
        """
        if at is not None and not isinstance(at, str):
            at = _iso(at)
        return _alerts(self._native.check_prescription(patient_id, drug, at, org))

    def check_interactions(self, drugs: Sequence[str]) -> List[Alert]:
        """Interactions within a drug list, with this network's knowledge base (see also
        :func:`cin_core.check_interactions` for the embedded one).

        >>> net.check_interactions(["warfarin", "ibuprofen"])[0].kind   # doctest: +SKIP
        'drug_interaction'
        """
        return _alerts(self._native.check_interactions([str(d) for d in drugs]))

    # ---- report ----------------------------------------------------------------------------

    def report(self, format: str = "dict") -> Any:
        """The network report over everything loaded: ``"dict"`` (default, the JSON of
        ``network_report --json`` parsed), ``"json"``, ``"text"`` or ``"html"`` (a string).

        >>> net.report()["counts"]["patients"]                          # doctest: +SKIP
        """
        if format == "dict":
            return json.loads(self._native.report_json())
        if format == "json":
            return self._native.report_json()
        if format == "text":
            return self._native.report_text()
        if format == "html":
            return self._native.report_html()
        raise ValueError('format must be "dict", "json", "text" or "html"')

    def __repr__(self) -> str:
        c = self.counts()
        return f"<cin_core.Network {c['patients']} patients, {c['encounters']} encounters>"


def _read(data: Union[bytes, PathLike]) -> Tuple[bytes, str]:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data), "<bytes>"
    path = os.fspath(data)
    with open(path, "rb") as f:
        return f.read(), os.path.basename(path)
