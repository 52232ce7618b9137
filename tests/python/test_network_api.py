"""Every ACCEPTANCE.md Python name on the built-in synthetic network: the exact columns, types
and relations between the tables that the engine must keep."""

import datetime as dt
import math

import numpy as np
import pytest

import cin_core

READMISSIONS = ["patient_id", "index_encounter_id", "index_discharge", "readmit_encounter_id",
                "readmit_admit", "days_between", "cross_org"]
FOLLOWUPS = ["patient_id", "discharge_encounter_id", "discharge", "followup_encounter_id", "days"]
ENCOUNTERS = ["encounter_id", "patient_id", "org_id", "setting", "start", "end", "discharge_disposition"]
RISK = ["patient_id", "charlson", "elixhauser", "hcc_v28", "lace", "tier"]
DUPLICATES = ["patient_id", "test_family", "first_code", "first_time", "first_org", "repeat_code",
              "repeat_time", "repeat_org", "interval_days", "min_interval_days"]
INTERACTIONS = ["patient_id", "drug_a", "drug_b", "severity", "rule_id", "prescriber_org_a",
                "prescriber_org_b"]
MEASURES = ["measure_id", "level", "entity_id", "denominator", "numerator", "rate"]
DEFAULT_MEASURES = {"hba1c_poor_control", "hba1c_under_8", "bp_controlled", "breast_cancer_screening",
                    "colorectal_cancer_screening", "readmission_30d", "followup_7d", "followup_30d",
                    "ed_visits_per_1000", "duplicate_test_rate", "ddi_exposure_rate"}


@pytest.fixture(scope="module")
def net():
    return cin_core.Network.synthetic(patients=3_000, seed=42)


def test_public_names():
    for name in ["Network", "Table", "Alert", "IngestReport", "IngestIssue", "Hl7Result", "charlson",
                 "elixhauser", "cms_hcc", "check_interactions", "CinError", "ParseError",
                 "InvalidInputError", "KnowledgeBaseError", "__version__"]:
        assert name in cin_core.__all__, name
        assert hasattr(cin_core, name), name
    assert cin_core.__version__.count(".") == 2
    assert issubclass(cin_core.ParseError, ValueError) and issubclass(cin_core.ParseError, cin_core.CinError)


def test_synthetic_is_deterministic_and_sized(net):
    c = net.counts()
    assert c["patients"] == 3_000
    assert c["encounters"] > c["patients"]
    again = cin_core.Network.synthetic(patients=3_000, seed=42)
    assert again.counts() == c
    other = cin_core.Network.synthetic(patients=3_000, seed=43)
    assert other.counts() != c
    assert cin_core.Network.synthetic(patients=0, seed=1).counts()["patients"] == 0
    with pytest.raises(ValueError):
        cin_core.Network.synthetic(patients=-1)
    assert "3000 patients" in repr(net)


def test_encounters(net):
    t = net.encounters()
    assert t.column_names == ENCOUNTERS
    assert len(t) == net.counts()["encounters"]
    assert t["start"].dtype == np.dtype("datetime64[s]")
    ids = set(net.risk()["patient_id"])
    assert set(t["patient_id"]) <= ids
    assert {"inpatient", "emergency"} <= set(t["setting"])
    ends = t["end"]
    has_end = ~np.isnat(ends)
    assert (ends[has_end] >= t["start"][has_end]).all()


def test_readmissions_relate_to_encounters(net):
    t = net.readmissions(days=30)
    assert t.column_names == READMISSIONS
    assert len(t) > 0
    d = t.to_pydict()
    assert all(0 <= x <= 30 for x in d["days_between"])
    assert all(isinstance(x, bool) for x in d["cross_org"])
    for disch, admit in zip(d["index_discharge"], d["readmit_admit"]):
        assert isinstance(disch, dt.datetime) and admit >= disch
    enc = set(net.encounters()["encounter_id"])
    assert set(d["readmit_encounter_id"]) <= enc
    # A wider window finds at least as many.
    assert len(net.readmissions(days=90)) >= len(t)
    assert len(net.readmissions(days=7)) <= len(t)


def test_followups(net):
    t7, t30 = net.followups(days=7), net.followups(days=30)
    assert t7.column_names == FOLLOWUPS
    assert len(t7) > 0 and len(t30) > 0
    d = t7.to_pydict()
    missed = [f is None for f in d["followup_encounter_id"]]
    assert any(missed) and not all(missed)
    for f, days in zip(d["followup_encounter_id"], d["days"]):
        assert (f is None) == (days is None)
        if days is not None:
            assert 0 <= days <= 7
    rate7 = sum(not m for m in missed) / len(t7)
    rate30 = sum(f is not None for f in t30.to_pydict()["followup_encounter_id"]) / len(t30)
    assert rate30 >= rate7


def test_risk(net):
    t = net.risk()
    assert t.column_names == RISK
    assert len(t) == 3_000
    d = t.to_pydict()
    assert set(d["tier"]) == {"low", "moderate", "high", "very_high"}
    assert min(d["charlson"]) >= 0 and max(d["charlson"]) > 0
    assert any(x is not None for x in d["hcc_v28"])
    assert any(x is None for x in d["lace"]) and any(x is not None for x in d["lace"])


def test_registries_and_readmission_risk(net):
    r = net.registries()
    assert r.column_names[:2] == ["patient_id", "registry"]
    assert {"diabetes", "chf", "copd", "hypertension"} <= set(r["registry"])
    rr = net.readmission_risk()
    assert "lace" in rr.column_names and len(rr) > 0


def test_duplicate_tests(net):
    t = net.duplicate_tests()
    assert t.column_names == DUPLICATES
    assert len(t) > 0
    d = t.to_pydict()
    for i in range(len(t)):
        assert d["interval_days"][i] < d["min_interval_days"][i]
        assert d["repeat_time"][i] >= d["first_time"][i]
    assert "hba1c" in set(d["test_family"])


def test_drug_interactions(net):
    t = net.drug_interactions()
    assert t.column_names == INTERACTIONS
    assert len(t) > 0
    assert set(t["severity"]) <= {"minor", "moderate", "major", "contraindicated"}
    assert all(a != b for a, b in zip(t["drug_a"], t["drug_b"]))


def test_measures_and_gaps(net):
    m = net.measures()
    assert m.column_names[:6] == MEASURES
    d = m.to_pydict()
    assert set(d["measure_id"]) == DEFAULT_MEASURES
    assert set(d["level"]) == {"network", "organization", "practice", "practitioner"}
    for num, den, rate in zip(d["numerator"], d["denominator"], d["rate"]):
        assert 0 <= num
        if rate is not None and den:
            assert math.isclose(rate, num / den, rel_tol=1e-9) or rate > 1  # per-1000 measures
    network_rows = [i for i, lvl in enumerate(d["level"]) if lvl == "network"]
    assert len(network_rows) == len(DEFAULT_MEASURES)
    # An explicit period gives the same ids; dates may be str or datetime.date.
    p = net.measures(period=(dt.date(2023, 1, 1), "2023-12-31"))
    assert set(p["measure_id"]) == DEFAULT_MEASURES
    g = net.care_gaps()
    assert g.column_names == ["patient_id", "measure_id", "reason"]
    assert len(g) > 0 and set(g["measure_id"]) <= DEFAULT_MEASURES
    assert all(r for r in g["reason"])


def test_checks_on_synthetic_patients(net):
    t = net.drug_interactions().to_pydict()
    pid, drug_a, drug_b = t["patient_id"][0], t["drug_a"][0], t["drug_b"][0]
    # Re-prescribing one side of an existing interacting pair alerts on the other.
    alerts = net.check_prescription(pid, drug_b)
    assert any(a.kind in ("drug_interaction", "therapeutic_duplication") for a in alerts)
    assert all(isinstance(a, cin_core.Alert) for a in alerts)
    with pytest.raises(cin_core.InvalidInputError, match="unknown patient"):
        net.check_prescription("no-such-patient", drug_a)
    # An order the day after a patient's repeat test is a duplicate of that repeat. (The
    # check looks at each patient's latest result, so rows whose repeat is not the patient's
    # last test of the family do not alert; at least one row in the data is a last one.)
    dup = net.duplicate_tests().to_pydict()
    hits = 0
    for i in range(len(dup["patient_id"])):
        at = dup["repeat_time"][i] + dt.timedelta(days=1)
        alerts = net.check_order(dup["patient_id"][i], "LOINC", dup["repeat_code"][i], at=at)
        for a in alerts:
            assert a.kind == "duplicate_test"
            assert a.evidence["prior_time"] == dup["repeat_time"][i].isoformat()
            assert a.evidence["interval_days"] == 1
            hits += 1
        if hits >= 3:
            break
    assert hits >= 3


def test_report(net):
    r = net.report()
    assert r["counts"]["patients"] == 3_000
    for key in ("counts", "ingest", "readmissions_30d", "followup_7d", "followup_30d"):
        assert key in r
    assert "patients" in net.report("text")
    assert net.report("html").lstrip().lower().startswith("<!doctype html")
    assert net.report("json").startswith("{")
    with pytest.raises(ValueError):
        net.report("pdf")


def test_batch_scores_match_the_network_charlson_definition():
    t = cin_core.charlson(["a", "a", "b", "c"], ["I50.9", "J44.9", "E11.9", "C78.0"])
    d = t.to_pydict()
    assert d["patient_id"] == ["a", "b", "c"]
    # Quan 2011 weights: CHF 2, chronic pulmonary 1, diabetes without complications 0,
    # metastatic solid tumour 6.
    assert d["score"] == [3, 0, 6]
    assert d["chf"] == [1, 0, 0] and d["copd"] == [1, 0, 0] and d["metacanc"] == [0, 0, 1]
    c87 = cin_core.charlson(["a", "a", "b"], ["I50.9", "J44.9", "E11.9"], weights="charlson1987")
    assert c87.to_pydict()["score"] == [2, 1]  # Charlson 1987: every one of these is 1 point
    e = cin_core.elixhauser(["a", "a"], ["I50.9", "E66.9"]).to_pydict()
    assert e["score"] == [3]  # van Walraven: CHF 7, obesity -4
    h = cin_core.cms_hcc(["a", "a", "b"], ["E11.9", "I50.9", "E11.9"], [70, 70, None], ["F", "F", "M"]).to_pydict()
    assert h["hccs"][0] == ["HCC38", "HCC226"]
    assert h["score"][0] > 0 and h["score"][1] is None  # no age for b


def test_module_check_interactions():
    alerts = cin_core.check_interactions(["warfarin", "ibuprofen"])
    assert [a.kind for a in alerts] == ["drug_interaction"]
    a = alerts[0]
    assert a.severity == "major" and a.rule_id and a.source
    assert a.evidence["rxcui_a"] == 11289 and a.evidence["rxcui_b"] == 5640
    assert cin_core.check_interactions(["lisinopril"]) == []
    with pytest.raises(TypeError):
        cin_core.check_interactions("warfarin")
