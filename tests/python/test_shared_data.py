"""Loads of the real files in ../shared/data. Expected counts are computed here from the files
themselves with the csv/json modules, independently of the engine."""

import csv
import glob
import json
import os

import pytest

import cin_core


def _csv_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_synthea_csv(shared_data):
    d = shared_data / "synthea_csv"
    net = cin_core.Network()
    rep = net.load_synthea_csv(d)
    assert isinstance(rep, cin_core.IngestReport)
    patients = _csv_rows(d / "patients.csv")
    encounters = _csv_rows(d / "encounters.csv")
    assert rep.loaded["patients"] == len(patients) == 11
    assert rep.loaded["encounters"] == len(encounters) == 388
    assert rep.loaded["observations"] == len(_csv_rows(d / "observations.csv"))
    assert rep.errors == []
    c = net.counts()
    assert c["patients"] == 11 and c["encounters"] == 388
    enc = net.encounters()
    assert set(enc["encounter_id"]) == {r["Id"] for r in encounters}
    assert set(enc["patient_id"]) <= {r["Id"] for r in patients}
    # Synthea repeats HbA1c and lipid panels: the duplicate-test table is not empty.
    assert len(net.duplicate_tests()) > 0
    assert len(net.risk()) == 11
    r = net.report()
    assert r["counts"]["patients"] == 11 and r["ingest"]


def test_synthea_csv_with_progress(shared_data, capsys):
    net = cin_core.Network()
    net.load_synthea_csv(str(shared_data / "synthea_csv"), progress=True)
    err = capsys.readouterr().err
    assert "Synthea CSV" in err and "records" in err


def test_fhir_ndjson(shared_data):
    d = shared_data / "synthea_fhir_ndjson"
    expected = {}
    for f in glob.glob(str(d / "*.ndjson")):
        with open(f, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    rt = json.loads(line).get("resourceType")
                    if rt:
                        expected[rt] = expected.get(rt, 0) + 1
    net = cin_core.Network()
    rep = net.load_fhir(d)
    assert rep.loaded["Patient"] == expected["Patient"] == 7
    assert rep.loaded["Encounter"] == expected["Encounter"] == 329
    assert rep.loaded["MedicationRequest"] == expected["MedicationRequest"]
    assert net.counts()["patients"] == 7
    # log.ndjson holds Synthea's run log, not FHIR: every line is an issue with file:line.
    log_issues = [e for e in rep.errors if "log.ndjson" in e.location]
    assert log_issues and all(":" in e.location and e.source == "fhir" for e in log_issues)


def test_fhir_bundle_and_bytes(shared_data):
    files = sorted(glob.glob(str(shared_data / "synthea_fhir_bundles" / "*.json")))
    bundle = next(f for f in files if "Parker" in os.path.basename(f))
    net = cin_core.Network()
    rep = net.load_fhir(bundle)
    assert rep.loaded["Patient"] == 1
    raw = open(bundle, "rb").read()
    net2 = cin_core.Network()
    rep2 = net2.load_fhir(raw, name="parker.json")
    assert rep2.loaded == rep.loaded
    assert net2.counts() == net.counts()


def test_claims_tuva(shared_data):
    d = shared_data / "claims_tuva"
    med = _csv_rows(d / "medical_claim.csv")
    elig = _csv_rows(d / "eligibility.csv")
    rx = _csv_rows(d / "pharmacy_claim.csv")
    net = cin_core.Network()
    rep = net.load_claims_tuva(d)
    assert rep.loaded["medical_claim"] == len({r["claim_id"] for r in med}) == 1568
    assert rep.loaded["eligibility_span"] == len(elig) == 113
    assert rep.loaded["pharmacy_fill"] == len(rx)
    assert net.counts()["patients"] == len({r["patient_id"] for r in elig} | {r["patient_id"] for r in med} | {r["patient_id"] for r in rx})
    # Claims carry ICD-10-CM: the risk table scores them.
    risk = net.risk().to_pydict()
    assert max(risk["charlson"]) > 0


def test_hl7_directory_text_and_bytes(shared_data):
    d = shared_data / "hl7v2" / "msft_fhir_converter"
    net = cin_core.Network()
    rep = net.load_hl7(d)
    n_files = len(glob.glob(str(d / "*.hl7")))
    assert n_files == 70
    assert rep.loaded["ADT^A01"] >= 1
    for e in rep.errors:
        assert e.source == "hl7v2" and e.location
    one = d / "ADT01-23.hl7"
    text = open(one, encoding="utf-8-sig").read()
    for arg in (one, str(one), text, text.encode()):
        rep1 = cin_core.Network().load_hl7(arg)
        assert rep1.loaded["ADT^A01"] == 1, arg


def test_malformed_hl7_is_reported_not_raised(shared_data):
    net = cin_core.Network()
    rep = net.load_hl7(shared_data / "hl7v2" / "nhapi_badinputs")
    assert sum(rep.skipped.values()) >= 1
    assert len(rep.errors) >= 10
    assert all(e.location for e in rep.errors)


def test_invalid_fhir_files_each_report_where(shared_data):
    d = shared_data / "fhir_r4_examples" / "invalid"
    net = cin_core.Network()
    rep = net.load_fhir(d)  # a directory: a broken file is an issue, the rest loads
    broken = [e for e in rep.errors if "bad-json-close-1.json" in e.location]
    assert broken and "file skipped" in broken[0].message
    assert rep.loaded.get("Patient", 0) >= 1
