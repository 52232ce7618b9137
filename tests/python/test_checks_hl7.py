"""Point-of-care checks on a hand-built record with known answers, and real-time HL7."""

import datetime as dt

import pytest

import cin_core
from helpers import PATIENT, hand_bundle_bytes


@pytest.fixture()
def hand():
    net = cin_core.Network()
    rep = net.load_fhir(hand_bundle_bytes(), name="hand.json")
    assert rep.loaded["Patient"] == 1 and rep.errors == []
    return net


def test_warfarin_then_ibuprofen_is_a_major_interaction(hand):
    alerts = hand.check_prescription(PATIENT, "ibuprofen", at="2024-03-01")
    assert [a.kind for a in alerts] == ["drug_interaction"]
    a = alerts[0]
    assert a.severity == "major" and a.rule_id == "fda-warfarin-nsaid"
    assert "FDA" in a.source
    assert a.evidence["drug_a"] == "warfarin" and a.evidence["drug_b"] == "ibuprofen"
    assert a.evidence["existing_start"].startswith("2024-02-01")
    # Patient data never reaches the message.
    assert PATIENT not in a.message
    # The same check with a datetime, and an unrelated drug.
    assert hand.check_prescription(PATIENT, "ibuprofen", at=dt.datetime(2024, 3, 1))[0].rule_id == a.rule_id
    assert hand.check_prescription(PATIENT, "amoxicillin", at="2024-03-01") == []
    # Before warfarin was started there is nothing to interact with.
    assert hand.check_prescription(PATIENT, "ibuprofen", at="2024-01-15") == []


def test_hba1c_repeated_within_90_days_is_a_duplicate(hand):
    alerts = hand.check_order(PATIENT, "LOINC", "4548-4", at="2024-03-01")
    assert [a.kind for a in alerts] == ["duplicate_test"]
    ev = alerts[0].evidence
    assert ev["interval_days"] == 20 and ev["min_interval_days"] == 90
    assert ev["prior_value"] == 7.9 and ev["prior_unit"] == "%"
    assert ev["prior_time"] == "2024-02-10T09:00:00"
    assert hand.check_order(PATIENT, "http://loinc.org", "4548-4", at=dt.date(2024, 3, 1))
    # Past the interval it is not a duplicate.
    assert hand.check_order(PATIENT, "LOINC", "4548-4", at="2024-12-01") == []


def test_network_check_interactions_uses_the_site_kb(hand, tmp_path):
    assert hand.check_interactions(["warfarin", "ibuprofen"])
    hand.load_drug_kb(b"{}", replace=True)
    kinds = {a.kind for a in hand.check_interactions(["warfarin", "ibuprofen"])}
    assert kinds == {"unmapped_drug"}  # an empty KB knows neither drug
    kinds = {a.kind for a in hand.check_prescription(PATIENT, "ibuprofen", at="2024-03-01")}
    assert "drug_interaction" not in kinds
    # The module-level function keeps the embedded KB.
    assert cin_core.check_interactions(["warfarin", "ibuprofen"])


def test_bad_kb_raises_and_keeps_the_current_kb(hand, tmp_path):
    f = tmp_path / "site_kb.json"
    f.write_text("{not json")
    with pytest.raises(cin_core.KnowledgeBaseError) as e:
        hand.load_drug_kb(f)
    assert e.value.source == "site_kb.json" and e.value.line == 1
    assert hand.check_prescription(PATIENT, "ibuprofen", at="2024-03-01")
    with pytest.raises(cin_core.KnowledgeBaseError):
        hand.load_duplicate_rules(b"[1, 2")
    with pytest.raises(cin_core.KnowledgeBaseError):
        hand.load_measures(b"{\"measures\": 3}")
    assert hand.check_order(PATIENT, "LOINC", "4548-4", at="2024-03-01")


def test_adt_a01_gives_an_admission_alert_and_aa(shared_data):
    msg = (shared_data / "hl7v2" / "msft_fhir_converter" / "ADT01-23.hl7").read_bytes()
    net = cin_core.Network()
    res = net.ingest_hl7(msg)
    assert isinstance(res, cin_core.Hl7Result)
    segs = res.ack.split("\r")
    assert segs[0].startswith("MSH|") and "ACK" in segs[0]
    assert segs[1] == "MSA|AA|599102"  # MSH-10 of the message
    assert [a.kind for a in res.alerts] == ["admission"]
    a = res.alerts[0]
    assert a.severity == "info" and a.evidence["setting"] == "inpatient"
    assert a.evidence["message_type"] == "ADT^A01"
    assert net.counts()["patients"] == 1 and net.counts()["encounters"] == 1
    assert res.report.loaded["ADT^A01"] == 1
    # As text it works the same.
    res2 = cin_core.Network().ingest_hl7(msg.decode("utf-8-sig"))
    assert [a.kind for a in res2.alerts] == ["admission"]


@pytest.mark.parametrize("bad", [b"garbage", b"", b"MSH|^~\\&|A|B\rPID|1||"])
def test_bad_hl7_gives_an_error_ack_not_an_exception(bad):
    res = cin_core.Network().ingest_hl7(bad)
    msa = res.ack.split("\r")[1]
    assert msa.split("|")[1] in ("AE", "AR"), res.ack
    assert res.alerts == []
    assert res.report.errors


def test_fuzzed_hl7_never_raises(shared_data):
    net = cin_core.Network()
    for f in sorted((shared_data / "hl7v2" / "nhapi_badinputs").iterdir()):
        res = net.ingest_hl7(f.read_bytes())
        assert res.ack.startswith("MSH|")
