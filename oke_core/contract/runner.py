"""Check a stream of messages: envelope handling, flow choice and context lookup in one place."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from oke_core.contract.context import ContextMap
from oke_core.contract.contract import Contract, not_object_problem, parse_body
from oke_core.contract.flows import detect_flow
from oke_core.contract.model import Problem, Verdict
from oke_core.contract.sources import Message
from oke_core.nul import NUL, NUL_STORED, nul_problems


@dataclass
class Tally:
    """Counts that must add up: every message is valid or invalid."""

    messages: int = 0
    valid: int = 0
    invalid: int = 0
    errors: int = 0
    warnings: int = 0

    def add(self, verdict: Verdict) -> None:
        self.messages += 1
        if verdict.valid:
            self.valid += 1
        else:
            self.invalid += 1
        self.errors += len(verdict.errors)
        self.warnings += len(verdict.warnings)


def check_message(
    contract: Contract, message: Message, flow: int | None = None, contexts: ContextMap | None = None
) -> tuple[object | None, Verdict]:
    """`flow` forces a flow; else the envelope's `flow`, else detection from method, path and body.

    A NUL character in the body is an error here as well (rule ``nul-character``): valid JSON,
    but KRS quarantines it (``oke_core/nul.py``), and a vendor's check should say so.
    """
    chosen = flow or message.flow
    body = message.body
    if type(body) is dict and message.text is None and message.envelope_problem is None:
        # The common case first: a parsed object, straight to the contract.
        if chosen is None:
            chosen = detect_flow(message.method, message.path, body)
        context = contexts.lookup(message.path, body) if contexts is not None else None
        verdict = contract.check(body, chosen, context, method=message.method, path=message.path)
        return body, (_with_nul(body, verdict) if message.nul else verdict)
    if message.envelope_problem is not None:
        return None, Verdict(flow=chosen, errors=[message.envelope_problem])
    problem: Problem | None = None
    text = message.text
    if text is not None:
        body, problem = parse_body(text)
    elif not isinstance(body, dict):
        problem = not_object_problem(body)
    if problem is not None:
        if chosen is None and (message.method or message.path):
            chosen = detect_flow(message.method, message.path, None)
        return body, Verdict(flow=chosen, errors=[problem])
    if chosen is None:
        chosen = detect_flow(message.method, message.path, body)
    context = contexts.lookup(message.path, body) if contexts is not None else None
    verdict = contract.check(body, chosen, context, method=message.method, path=message.path)
    if message.nul or (text is not None and (NUL_STORED in text or NUL in text)):
        verdict = _with_nul(body, verdict)
    return body, verdict


def _with_nul(body: object, verdict: Verdict) -> Verdict:
    """The verdict with an error for each string of ``body`` that holds a NUL, if any does."""
    found = nul_problems(body)
    if not found:
        return verdict
    return Verdict(flow=verdict.flow, errors=[*verdict.errors, *found], warnings=list(verdict.warnings))


def check_messages(
    contract: Contract,
    messages: Iterable[Message],
    flow: int | None = None,
    contexts: ContextMap | None = None,
) -> Iterator[tuple[Message, Verdict]]:
    for message in messages:
        yield message, check_message(contract, message, flow, contexts)[1]
