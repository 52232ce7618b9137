"""cin_core.elixhauser with the AHRQ Elixhauser Comorbidity Software Refined (v2026.1) weights.

Expected values are summed by hand from CMR_Index_Program_v2026-1.sas: heart failure 14 / 7,
complicated hypertension 1 / 0, severe renal failure 7 / 8, depression -8 / 2, obesity -7 / -2,
complicated diabetes -2 / 4 (mortality / readmission)."""

import pytest

import cin_core


def test_ahrq_mortality_and_readmission_indices():
    ids = ["a", "a", "a", "b", "b"]
    codes = ["I13.2", "F32.9", "E66.9", "E11.9", "E11.22"]
    m = cin_core.elixhauser(ids, codes, weights="ahrq_mortality").to_pydict()
    r = cin_core.elixhauser(ids, codes, weights="ahrq_readmission").to_pydict()
    cols = list(m)
    assert cols[:3] == ["patient_id", "score", "cmr_aids"] and cols[-1] == "cmr_wghtloss"
    assert len(cols) == 2 + 38
    assert m["patient_id"] == ["a", "b"]
    # a: I13.2 = heart failure + complicated hypertension + severe renal failure, F32.9, E66.9.
    assert m["score"] == [14 + 1 + 7 - 8 - 7, -2]
    assert r["score"] == [7 + 0 + 8 + 2 - 2, 4]
    assert m["cmr_hf"] == [1, 0] and m["cmr_renlfl_sev"] == [1, 0]
    # Complicated diabetes drops uncomplicated diabetes.
    assert m["cmr_diab_cx"] == [0, 1] and m["cmr_diab_uncx"] == [0, 0]


def test_default_weights_keep_their_columns():
    t = cin_core.elixhauser(["a"], ["I50.9"]).to_pydict()
    assert "chf" in t and "cmr_hf" not in t


def test_unknown_weights_name():
    with pytest.raises(cin_core.InvalidInputError, match="ahrq_mortality"):
        cin_core.elixhauser(["a"], ["I50.9"], weights="ahrq")
