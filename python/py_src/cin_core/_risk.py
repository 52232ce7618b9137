"""Comorbidity indices and CMS-HCC over long-format diagnosis columns, without a network."""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

from . import _cin_core
from ._alert import Alert, alerts as _alerts
from ._columns import StrColumn, float_column, is_dataframe, pick_column, string_column
from ._table import Table


def _pair(
    patient_ids: Any, codes: Any, patient: Optional[str], code: Optional[str]
) -> Tuple[StrColumn, StrColumn]:
    if is_dataframe(patient_ids):
        frame = patient_ids
        patient_ids = pick_column(frame, patient, "patient")
        codes = pick_column(frame, code, "code")
    if codes is None:
        raise TypeError("codes are required (or pass a DataFrame with patient= and code=)")
    return string_column(patient_ids, "patient_ids"), string_column(codes, "codes")


def charlson(
    patient_ids: Any,
    codes: Any = None,
    *,
    weights: str = "quan2011",
    patient: Optional[str] = None,
    code: Optional[str] = None,
) -> Table:
    """Charlson comorbidity index per patient from (patient_id, ICD-10-CM code) rows in any order.

    Codes are normalised (dots, case, spaces) and matched with the Quan et al. 2005 coding
    algorithms; ``weights`` is "quan2011" (default) or "charlson1987". Columns: patient_id,
    score, then one 0/1 column per category (int8), patients in first-seen order.
    ``patient_ids`` and ``codes`` may be lists, numpy arrays, pandas or polars Series, or pyarrow
    arrays; or pass a DataFrame and name its columns:

    >>> cin_core.charlson(["p1", "p1", "p2"], ["I50.9", "J44.9", "E11.9"]).to_pydict()["score"]
    [3, 0]
    >>> cin_core.charlson(df, patient="pid", code="dx")            # doctest: +SKIP
    """
    p, c = _pair(patient_ids, codes, patient, code)
    return Table(_cin_core.charlson(p, c, weights))


def elixhauser(
    patient_ids: Any,
    codes: Any = None,
    *,
    weights: str = "van_walraven",
    patient: Optional[str] = None,
    code: Optional[str] = None,
) -> Table:
    """Elixhauser comorbidities per patient. Columns: patient_id, score, one 0/1 column (int8) per
    category. Inputs as for :func:`charlson`.

    ``weights="van_walraven"`` (default): Quan 2005 ICD-10-CM categories (``chf``, ``carit``...)
    with the van Walraven 2009 score. ``weights="ahrq_mortality"`` or ``"ahrq_readmission"``:
    the 38 measures of the AHRQ Elixhauser Comorbidity Software Refined for ICD-10-CM v2026.1
    (``cmr_aids`` ... ``cmr_wghtloss``, after the software's exclusions) with its in-hospital
    mortality or 30-day readmission index as the score; every code is taken as present on
    admission and as a secondary diagnosis.

    >>> t = cin_core.elixhauser(["p1", "p1"], ["I50.9", "E66.9"])
    >>> t.to_pydict()["score"]
    [3]
    >>> t = cin_core.elixhauser(["p1", "p1"], ["I50.9", "E66.9"], weights="ahrq_mortality")
    >>> t.to_pydict()["score"], t.to_pydict()["cmr_hf"]
    ([7], [1])
    """
    p, c = _pair(patient_ids, codes, patient, code)
    return Table(_cin_core.elixhauser(p, c, weights))


def cms_hcc(
    patient_ids: Any,
    codes: Any = None,
    ages: Any = None,
    sexes: Any = None,
    *,
    version: str = "V28",
    patient: Optional[str] = None,
    code: Optional[str] = None,
    age: Optional[str] = None,
    sex: Optional[str] = None,
) -> Table:
    """CMS-HCC risk score (V24 or V28, community non-dual aged/disabled) per patient.

    ``patient_ids``/``codes`` are diagnosis rows; ``ages`` (years) and ``sexes`` ("F"/"M") are
    aligned with them (a patient's non-missing values must agree). Columns: patient_id, hccs
    (list of "HCC<n>"), score (None when age or sex is missing). A DataFrame works too:
    ``cin_core.cms_hcc(df, patient="pid", code="dx", age="age", sex="sex")``.

    >>> cin_core.cms_hcc(["p1"], ["E11.9"], [70], ["F"]).to_pydict()["hccs"]
    [['HCC38']]
    """
    if is_dataframe(patient_ids):
        frame = patient_ids
        patient_ids = pick_column(frame, patient, "patient")
        codes = pick_column(frame, code, "code")
        ages = pick_column(frame, age, "age")
        sexes = pick_column(frame, sex, "sex")
    if codes is None or ages is None or sexes is None:
        raise TypeError("cms_hcc needs patient_ids, codes, ages and sexes")
    p = string_column(patient_ids, "patient_ids")
    c = string_column(codes, "codes")
    s = string_column(sexes, "sexes")
    a = float_column(ages, "ages")
    return Table(_cin_core.cms_hcc(p, c, a, s, version))


def check_interactions(drugs: Sequence[str]) -> List[Alert]:
    """Drug interactions and therapeutic duplications within a list of drugs (RxCUIs, NDCs or
    names), with the embedded knowledge base.

    >>> [a.kind for a in cin_core.check_interactions(["warfarin", "ibuprofen"])]
    ['drug_interaction']
    """
    if isinstance(drugs, str):
        raise TypeError("drugs must be a list of drug names or codes, not one string")
    return _alerts(_cin_core.check_interactions([str(d) for d in drugs]))
