"""cin_core: the engine of a clinically integrated network, for notebooks.

One longitudinal record per patient merged across organisations (with provenance), and what a
network runs on: transitions of care, readmissions, follow-up after discharge, risk, duplicate
tests, drug interactions and shared quality measures.

>>> import cin_core
>>> net = cin_core.Network.synthetic(patients=2_000, seed=42)
>>> net.counts()["patients"]
2000
>>> df = net.readmissions(days=30).to_pandas()      # doctest: +SKIP
>>> cin_core.charlson(df, patient="pid", code="dx") # doctest: +SKIP

Tables convert to pandas, polars and pyarrow (all optional); checks return ``Alert`` objects;
errors are ``CinError`` subclasses whose messages say where, never patient data.
"""

from __future__ import annotations

from ._cin_core import __version__
from ._alert import Alert
from ._network import Hl7Result, IngestIssue, IngestReport, Network
from ._risk import charlson, check_interactions, cms_hcc, elixhauser
from ._table import Table
from .exceptions import CinError, InvalidInputError, IoError, KnowledgeBaseError, ParseError

__all__ = [
    "__version__",
    "Alert",
    "Hl7Result",
    "charlson",
    "check_interactions",
    "cms_hcc",
    "elixhauser",
    "CinError",
    "IngestIssue",
    "IngestReport",
    "InvalidInputError",
    "IoError",
    "KnowledgeBaseError",
    "Network",
    "ParseError",
    "Table",
]
