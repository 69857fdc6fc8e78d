"""Read messages from files, JSONL streams and directories, bare bodies or envelopes (INTERFACES.md 1).

Reused by `oke validate`, ingest and the HTTP endpoint, so that "file:line" sources and the
envelope rules (exactly one of `body` / `body_text`) are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import orjson

from oke_core.contract.contract import syntax_problem
from oke_core.contract.model import ERROR, Problem

MESSAGE_SUFFIXES = (".json", ".jsonl")
ENVELOPE_KEYS = ("method", "path", "message_id", "sent_at")
NUL_ESCAPE = b"\\u0000"
_METHODS = ("PATCH", "PUT")


class SourceError(Exception):
    """A path cannot be read (missing, not a message file, I/O error): a usage error, exit code 2."""


@dataclass(slots=True)
class Message:
    """One message to check: a parsed `body`, or a raw `text` still to be parsed (broken JSON stays text)."""

    source: str
    body: object | None = None
    text: str | None = None
    method: str | None = None
    path: str | None = None
    flow: int | None = None
    message_id: str | None = None
    envelope: dict | None = None
    # found before the body could be parsed: a broken envelope, or bytes that are not UTF-8
    envelope_problem: Problem | None = None
    # the raw line holds a \u0000 escape, so the parsed body may hold a NUL (see oke_core/nul.py)
    nul: bool = False


def is_envelope(value: object) -> bool:
    return (
        isinstance(value, dict)
        and ("body" in value or "body_text" in value)
        and ("method" in value or "path" in value or "message_id" in value or "sent_at" in value)
    )


def _envelope_error(source: str, env: dict, message: str) -> Message:
    problem = Problem(
        pointer="",
        code="envelope-invalid",
        message=message,
        severity=ERROR,
        explanation="An envelope carries method (PATCH or PUT), path (/associations/{id} or "
        "/offerings/{id}) and exactly one of body (JSON) or body_text (the raw body as a string); "
        "see INTERFACES.md section 1.",
    )
    return Message(
        source=source,
        envelope=env,
        envelope_problem=problem,
        message_id=env.get("message_id") if isinstance(env.get("message_id"), str) else None,
    )


def from_value(source: str, value: object) -> Message:
    """A parsed JSON value -> Message: unwrap an envelope, else treat the value as a bare body."""
    if type(value) is not dict:
        return Message(source, value)
    env: dict = value  # type: ignore[assignment]
    if "body" in env:
        if "body_text" in env:
            if _has_envelope_key(env):
                return _envelope_error(source, env, "envelope has both 'body' and 'body_text'")
            return Message(source, env)
    elif "body_text" not in env:
        return Message(source, env)
    get = env.get
    method, path, flow, message_id = get("method"), get("path"), get("flow"), get("message_id")
    if method is None and path is None and message_id is None and not _has_envelope_key(env):
        # No envelope key at all (a body that happens to have a `body` field): a bare body. Keys
        # are tested with `in`, so an explicit null still marks an envelope.
        return Message(source, env)
    # Hot path for the common envelope: PATCH/PUT, a string path, no flow or a known one.
    if (
        (method == "PATCH" or method == "PUT" or method is None)
        and (type(path) is str or path is None)
        and (flow is None or flow == 3 or flow == 4 or flow == 5)
    ):
        if not isinstance(message_id, str):
            message_id = None
        if "body" in env:
            return Message(source, env["body"], None, method, path, flow, message_id, env)
        text = env["body_text"]
        if not isinstance(text, str):
            return _envelope_error(source, env, "envelope body_text is not a string")
        return Message(source, None, text, method, path, flow, message_id, env)
    return _unusual_envelope(source, env, method, path, flow, message_id)


def _has_envelope_key(env: dict) -> bool:
    return "method" in env or "path" in env or "message_id" in env or "sent_at" in env


def _unusual_envelope(
    source: str, env: dict, method: object, path: object, flow: object, message_id: object
) -> Message:
    """The envelope checks in full, for what the hot path did not recognise (e.g. `patch`, a bad flow)."""
    if (
        method is not None
        and method not in _METHODS
        and (not isinstance(method, str) or method.upper() not in _METHODS)
    ):
        return _envelope_error(source, env, f"envelope method {method!r} is not PATCH or PUT")
    if path is not None and not isinstance(path, str):
        return _envelope_error(source, env, "envelope path is not a string")
    if flow is not None and flow not in (3, 4, 5):
        return _envelope_error(source, env, f"envelope flow {flow!r} is not 3, 4 or 5")
    if message_id is not None and not isinstance(message_id, str):
        message_id = None
    if "body_text" in env:
        if not isinstance(env["body_text"], str):
            return _envelope_error(source, env, "envelope body_text is not a string")
        return Message(source, None, env["body_text"], method, path, flow, message_id, env)  # type: ignore[arg-type]
    return Message(source, env["body"], None, method, path, flow, message_id, env)  # type: ignore[arg-type]


BOM = b"\xef\xbb\xbf"


def open_lines(path: Path) -> BinaryIO:
    """``path`` opened for reading lines, past a UTF-8 byte order mark (Windows editors write one).

    Every JSONL reader (validate, ingest, send, the planning) opens its files through this, so
    none of them tests each line for the mark.
    """
    handle = path.open("rb")
    if handle.read(3) != BOM:
        handle.seek(0)
    return handle


def from_bytes(source: str, data: bytes) -> Message:
    """A whole .json file: one message. Parse fast; on failure keep the text for the line/column report."""
    data = data.removeprefix(BOM)  # editors on Windows save UTF-8 with a byte order mark
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return _broken(source, data)
    if type(value) is list and value and all(type(v) is dict for v in value):
        problem = Problem(
            pointer="",
            code="json-syntax",
            message=f"the file holds a JSON array of {len(value)} objects, and a .json file is one message",
            severity=ERROR,
            explanation="For several messages use a .jsonl file, one message (body or envelope) per "
            f"line, for example: jq -c '.[]' {Path(source).name} > messages.jsonl",
        )
        return Message(source, value, envelope_problem=problem)
    return from_value(source, value)


def not_utf8_problem(data: bytes) -> Problem | None:
    """The json-syntax problem for bytes that are not UTF-8, at the first bad byte; None if they are.

    Decoding with replacement would alter the data (U+FFFD) and let a mis-encoded message pass as
    valid; JSON text must be UTF-8 (RFC 8259 section 8.1), so it is refused instead.
    """
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8")) + 1  # valid up to the bad byte
        message = f"the body is not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded ({exc.reason})"
        return syntax_problem(message, line, column)
    return None


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Expand directories recursively into their .json/.jsonl files, in sorted (stable) order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in MESSAGE_SUFFIXES)
        elif path.is_file():
            yield path
        else:
            raise SourceError(f"{path}: no such file or directory")


def _broken(source: str, raw: bytes) -> Message:
    """A message orjson could not parse: its text for the line/column report, or why it has no text."""
    try:
        return Message(source, None, raw.decode("utf-8"))
    except UnicodeDecodeError:
        return Message(source, envelope_problem=not_utf8_problem(raw))


def read_file(path: Path) -> Iterator[Message]:
    """Messages of one file: one per non-blank line for .jsonl (source `file:line`), else the whole file.

    The .jsonl loop is the hot path of large streams: plain line iteration of the buffered file was
    measured faster than reading big chunks and splitting them (bytes.split scans byte by byte).
    """
    try:
        if path.suffix == ".jsonl":
            prefix = f"{path}:"
            loads, decode_error = orjson.loads, orjson.JSONDecodeError
            with open_lines(path) as handle:
                for number, line in enumerate(handle, start=1):
                    try:
                        value = loads(line)
                    except decode_error:
                        if line.strip():  # blank lines (also whitespace-only ones) are skipped
                            yield _broken(f"{prefix}{number}", line)
                        continue
                    message = from_value(f"{prefix}{number}", value)
                    # two byte searches (a lone backslash is the faster one), so that only these
                    # lines have their body walked
                    if b"\\" in line and NUL_ESCAPE in line:
                        message.nul = True
                    yield message
        else:
            data = path.read_bytes()
            message = from_bytes(str(path), data)
            message.nul = NUL_ESCAPE in data
            yield message
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def read_messages(paths: Iterable[Path]) -> Iterator[Message]:
    for path in iter_files(paths):
        yield from read_file(path)
