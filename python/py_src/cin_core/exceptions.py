"""Exceptions raised by cin_core.

Every error is a :class:`CinError`. Messages say *where* (file, line, entry, field) and never carry
patient data, so they are safe to log. The location parts are also attributes:

>>> import cin_core
>>> try:
...     cin_core.Network().load_fhir(b'{"resourceType": "Bundle", "entry": [', name="feed.json")
... except cin_core.ParseError as e:
...     print(e.source)
feed.json
"""

from __future__ import annotations

from typing import Optional

__all__ = ["CinError", "ParseError", "InvalidInputError", "KnowledgeBaseError", "IoError"]


class CinError(Exception):
    """Base class of every cin_core error.

    Attributes (``None`` when not known): ``source`` (file name or feed label), ``line``
    (1-based), ``entry`` (bundle entry or message index), ``field`` (JSON path or HL7 field),
    and ``location``, the parts joined as ``source:line entry n field f``.
    """

    source: Optional[str]
    line: Optional[int]
    entry: Optional[int]
    field: Optional[str]

    def __init__(
        self,
        message: str = "",
        source: Optional[str] = None,
        line: Optional[int] = None,
        entry: Optional[int] = None,
        field: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.source = source
        self.line = line
        self.entry = entry
        self.field = field

    @property
    def location(self) -> Optional[str]:
        """``source:line entry n field f`` with the known parts, or ``None``."""
        if self.source is None:
            return None
        out = self.source
        if self.line is not None:
            out += f":{self.line}"
        if self.entry is not None:
            out += f" entry {self.entry}"
        if self.field is not None:
            out += f" field {self.field}"
        return out


class ParseError(CinError, ValueError):
    """Input that could not be parsed at all (truncated JSON, not HL7, broken CSV header).

    The message starts with the location: ``parse error at <source>:<line> entry <n> field <f>``,
    and ``source``/``line``/``entry``/``field``/``location`` hold its parts.
    """


class InvalidInputError(CinError, ValueError):
    """A caller-supplied argument is wrong (bad date, unknown weights, mismatched lengths).

    >>> cin_core.charlson(["p1"], ["E119"], weights="nope")      # doctest: +SKIP
    Traceback (most recent call last):
    cin_core.exceptions.InvalidInputError: invalid input: charlson weights must be quan2011 or charlson1987
    """


class KnowledgeBaseError(CinError, ValueError):
    """A drug-interaction knowledge base, duplicate-test rule set or measure file is malformed;
    ``location`` says where in the file."""


class IoError(CinError, OSError):
    """A file or directory could not be read (also an ``OSError``); ``source`` is its path."""
