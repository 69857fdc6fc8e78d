"""NUL characters (U+0000): valid in JSON text, refused by PostgreSQL text columns.

A KRS store must behave the same on SQLite and PostgreSQL, so NUL is a store rule for every text
that arrives from outside: message bodies and envelopes (quarantined, ``quarantine.py``) and
planning files (refused on load, ``planning.py``). What is kept for the record is escaped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from oke_core.contract.model import Problem

NUL, NUL_STORED = "\x00", "\\u0000"
#: What a user is told, with the field's pointer (rule ``nul-character``).
NUL_MESSAGE = (
    "the text contains a NUL character (U+0000, \\u0000 in JSON), which a KRS store cannot keep; remove it"
)

NUL_EXPLANATION = (
    "Valid JSON, but PostgreSQL text cannot hold U+0000, and a KRS store behaves the same on SQLite "
    "and PostgreSQL: ingest and the receiver quarantine the message (reason invalid). Fix: leave the "
    "character out of the field."
)


def storable(text: str) -> str:
    """``text`` as a store keeps it: each NUL character escaped."""
    return text.replace(NUL, NUL_STORED) if NUL in text else text


def nul_pointers(value: Any, pointer: str = "") -> Iterator[str]:
    """JSON pointers of the strings (and object keys) in ``value`` that hold a NUL character."""
    if isinstance(value, str):
        if NUL in value:
            yield pointer
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"
            if NUL in str(key):
                yield child
            yield from nul_pointers(item, child)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from nul_pointers(item, f"{pointer}/{i}")


def nul_problems(body: Any) -> list[Problem]:
    """The strings (and keys) of a parsed body that hold a NUL character: KRS cannot store them.

    One rule for ``oke validate`` (contract runner), ``oke ingest`` and ``oke serve`` (quarantine),
    so that a vendor's check says what the store will do.
    """
    return [
        Problem(pointer=pointer, code="nul-character", message=NUL_MESSAGE, explanation=NUL_EXPLANATION)
        for pointer in nul_pointers(body)
    ]
