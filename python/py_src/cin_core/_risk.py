"""Comorbidity indices and CMS-HCC over long-format diagnosis columns, without a network."""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Union

from . import _cin_core
from ._alert import Alert, alerts_from_json
from ._columns import _is_dataframe, pick_column, string_column
from ._table import Table


def _pair(patient_ids: Any, codes: Any, patient: Optional[str], code: Optional[str]):
    if _is_dataframe(patient_ids):
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
    age_points: bool = False,
    patient: Optional[str] = None,
    code: Optional[str] = None,
) -> Table:
    """Charlson comorbidity index per patient from (patient_id, ICD code) rows in any order.

    ICD-10-CM and ICD-9-CM codes (dots, case and spaces normalised; Quan 2005 coding algorithms);
    ``weights`` "quan2011" or "charlson1987". Columns: patient_id, score, one 0/1 column per
    category. Accepts lists, numpy, pandas, polars or pyarrow columns, or a DataFrame:

    >>> cin_core.charlson(df, patient="pid", code="dx")            # doctest: +SKIP
    """
    p, c = _pair(patient_ids, codes, patient, code)
    return Table(_cin_core.charlson(p, c, weights, bool(age_points)))


def elixhauser(
    patient_ids: Any,
    codes: Any = None,
    *,
    weights: str = "van_walraven",
    patient: Optional[str] = None,
    code: Optional[str] = None,
) -> Table:
    """Elixhauser comorbidities (Quan 2005) with van Walraven 2009 weights per patient.
    Columns: patient_id, score, one 0/1 column per category."""
    p, c = _pair(patient_ids, codes, patient, code)
    return Table(_cin_core.elixhauser(p, c, weights))


def cms_hcc(
    patient_ids: Any,
    codes: Any,
    ages: Any,
    sexes: Any,
    *,
    version: str = "V28",
) -> Table:
    """CMS-HCC risk score (V24 or V28, community non-dual aged/disabled) per patient.

    ``patient_ids``/``codes`` are diagnosis rows; ``ages``/``sexes`` are aligned with the diagnosis
    rows (the first value seen per patient is used). Columns: patient_id, hccs (list), score.
    """
    p = string_column(patient_ids, "patient_ids")
    c = string_column(codes, "codes")
    s = string_column(sexes, "sexes")
    import numpy as np

    a = np.asarray(ages, dtype=np.float64)
    return Table(_cin_core.cms_hcc(p, c, a, s, version))


def check_interactions(drugs: Sequence[str]) -> List[Alert]:
    """Drug interactions and therapeutic duplications in a list of drugs (RxCUIs or names),
    with the embedded knowledge base."""
    return alerts_from_json(_cin_core.check_interactions([str(d) for d in drugs]))


Number = Union[int, float]
