"""Exceptions raised by cin_core. Messages say where (file, line, entry, field), never patient data."""

__all__ = ["CinError", "ParseError", "InvalidInputError", "KnowledgeBaseError"]


class CinError(Exception):
    """Base class of every cin_core error."""


class ParseError(CinError, ValueError):
    """Input that could not be parsed at all (truncated JSON, not HL7, broken CSV header).

    The message starts with the location: ``parse error at <source>:<line> entry <n> field <f>``.
    """


class InvalidInputError(CinError, ValueError):
    """A caller-supplied argument is wrong (unknown patient, bad date, mismatched lengths)."""


class KnowledgeBaseError(CinError, ValueError):
    """A drug-interaction knowledge base, duplicate-test rule set or measure file is malformed."""
