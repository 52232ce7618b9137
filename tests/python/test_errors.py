"""A Rust error arrives as the right Python exception, with its location and no patient data."""

import numpy as np
import pytest

import cin_core
from cin_core import exceptions


def test_hierarchy():
    assert exceptions.__all__[:4] == ["CinError", "ParseError", "InvalidInputError", "KnowledgeBaseError"]
    for cls in (cin_core.ParseError, cin_core.InvalidInputError, cin_core.KnowledgeBaseError):
        assert issubclass(cls, cin_core.CinError) and issubclass(cls, ValueError)
    assert issubclass(cin_core.IoError, OSError) and issubclass(cin_core.IoError, cin_core.CinError)


def test_truncated_fhir_bytes_is_a_parse_error_with_location():
    with pytest.raises(cin_core.ParseError) as e:
        cin_core.Network().load_fhir(b'{"resourceType": "Bundle", "entry": [', name="feed.json")
    err = e.value
    assert err.source == "feed.json" and err.line == 1
    assert err.location == "feed.json:1"
    assert str(err).startswith("parse error at feed.json:1")


def test_invalid_fhir_file_names_file_and_line(shared_data):
    f = shared_data / "fhir_r4_examples" / "invalid" / "bad-json-close-1.json"
    with pytest.raises(cin_core.ParseError) as e:
        cin_core.Network().load_fhir(f)
    assert e.value.source == str(f)
    assert isinstance(e.value.line, int) and e.value.line > 1
    # Catchable as ValueError too.
    with pytest.raises(ValueError):
        cin_core.Network().load_fhir(f)


def test_missing_paths_are_io_errors(tmp_path):
    missing = tmp_path / "nope"
    net = cin_core.Network()
    for call in (net.load_synthea_csv, net.load_fhir, net.load_hl7, net.load_claims_tuva):
        with pytest.raises(cin_core.IoError) as e:
            call(missing)
        assert e.value.source == str(missing)
        assert isinstance(e.value, OSError)
        assert str(missing) in str(e.value)


def test_claims_directory_without_files_is_a_parse_error(tmp_path):
    with pytest.raises(cin_core.ParseError) as e:
        cin_core.Network().load_claims_tuva(tmp_path)
    assert e.value.source == str(tmp_path)


def test_invalid_arguments():
    net = cin_core.Network.synthetic(patients=50, seed=3)
    pid = net.risk()["patient_id"][0]
    with pytest.raises(cin_core.InvalidInputError, match="ISO-8601"):
        net.check_prescription(pid, "warfarin", at="yesterday")
    with pytest.raises(cin_core.InvalidInputError) as e:
        net.check_order(pid, "NOT-A-SYSTEM", "4548-4")
    assert pid not in str(e.value)
    with pytest.raises(cin_core.InvalidInputError) as e:
        net.check_prescription("secret-patient-123", "warfarin")
    assert "secret-patient-123" not in str(e.value)
    with pytest.raises(cin_core.InvalidInputError):
        net.measures(period=("not a date", "2024-12-31"))
    with pytest.raises(TypeError):
        net.check_order(pid, "LOINC", "4548-4", at=12.5)
    with pytest.raises(cin_core.InvalidInputError, match="weights"):
        cin_core.charlson(["a"], ["I50.9"], weights="nope")
    with pytest.raises(cin_core.InvalidInputError, match="weights"):
        cin_core.elixhauser(["a"], ["I50.9"], weights="nope")
    with pytest.raises(cin_core.InvalidInputError, match="V24 or V28"):
        cin_core.cms_hcc(["a"], ["I50.9"], [70], ["F"], version="V99")
    with pytest.raises(cin_core.InvalidInputError, match="rows"):
        cin_core.charlson(["a", "b"], ["I50.9"])
    with pytest.raises(cin_core.InvalidInputError):
        cin_core.charlson(["a", None], ["I50.9", "E11.9"])  # a missing patient id


def test_exceptions_keep_attributes_when_built_by_hand():
    e = cin_core.ParseError("parse error at x.csv:3 field A: bad", "x.csv", 3, None, "A")
    assert e.location == "x.csv:3 field A" and str(e) == "parse error at x.csv:3 field A: bad"
    assert cin_core.CinError("plain").location is None


def test_bad_string_buffers_name_the_column_and_row():
    # The binding reads Arrow buffers in place; malformed ones are refused before scoring.
    from cin_core import _cin_core

    ids = ("list", ["p1", "p2"])
    codes = np.frombuffer(b"E119I10", dtype=np.uint8)
    backwards = ("arrow", (np.array([0, 4, 1], dtype=np.int64), codes, None))
    with pytest.raises(cin_core.InvalidInputError, match="codes: bad string offsets at row 1"):
        _cin_core.charlson(ids, backwards, "quan2011")
    past_end = ("arrow", (np.array([0, 4, 99], dtype=np.int32), codes, None))
    with pytest.raises(cin_core.InvalidInputError, match="codes: bad string offsets at row 1"):
        _cin_core.charlson(ids, past_end, "quan2011")
    not_utf8 = ("arrow", (np.array([0, 1, 2], dtype=np.int32), np.array([0x41, 0xFF], dtype=np.uint8), None))
    with pytest.raises(cin_core.InvalidInputError, match="patient_ids: not UTF-8 at byte 1"):
        _cin_core.charlson(not_utf8, ("list", ["E119", "I10"]), "quan2011")
    # A missing id in a list is an empty one, refused with its row.
    with pytest.raises(cin_core.InvalidInputError, match="row 1: empty patient id"):
        _cin_core.charlson(("list", ["p1", None]), ("list", ["E119", "I10"]), "quan2011")
    # Good buffers score: E11.9 is uncomplicated diabetes (1 point in the 1987 weights), I10
    # is in no category.
    good = ("arrow", (np.array([0, 4, 7], dtype=np.int64), codes, None))
    table = _cin_core.charlson(ids, good, "charlson1987")
    cols = {name: data for name, _kind, data in table}
    assert list(cols["score"]) == [1, 0]
