"""From the core's verdict to the HTTP answer: status, OOAPI 200 body or problem+json content.

Pure functions of the outcome and the server settings, so they run wherever ingest runs (the
writer thread, or the ingest process) and only the small Answer crosses back to the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ServerConfig:
    accept_unknown: bool = False
    max_body: int = 1_048_576  # a flow-3 message is ~1-2 kB; 1 MiB leaves room and stops abuse
    documents_dir: Path | None = None
    contact_email: str = "examenbureau@example.nl"
    documentation: str = "https://github.com/open-education-api/NED-OOAPI"
    trust_sent_at: bool = False  # use X-OKE-Sent-At as the receive time (rehearsals via HTTP)
    max_batch: int = 512
    max_wait: float = 0.002
    switch_interval: float = 0.0005
    writer: str = "thread"  # "thread": ingest in this process; "process": a separate ingest process


def _messages(nl: str, en: str) -> list[dict[str, str]]:
    """The profile's 200 body: `message`, a LanguageTypedString array (Dutch first, then English)."""
    return [{"language": "nl-NL", "value": nl}, {"language": "en-GB", "value": en}]


def problem_items(problems: Any) -> list[dict]:
    """Problems as the `errors` entries of a problem+json body (and of the request log)."""
    items = []
    for p in problems or ():
        item = {"pointer": p.pointer, "code": p.code, "message": p.message}
        if getattr(p, "line", None) is not None:
            item["line"] = p.line
            item["column"] = p.column
        items.append(item)
    return items


def _detail_of(items: list[dict]) -> str:
    parts = []
    for it in items:
        where = it["pointer"] or "/"
        if "line" in it:
            where = f"line {it['line']}, column {it['column']}"
        parts.append(f"{where}: {it['message']} [{it['code']}]")
    return "; ".join(parts)


def syntax_detail(items: list[dict]) -> str:
    return "request body is not valid JSON: " + (_detail_of(items) or "cannot parse")


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict
    problem: bool


def map_outcome(outcome: Any, config: ServerConfig, kind: str, object_id: str) -> Answer:
    """The core's verdict -> the HTTP answer (OKE v1.0.1 section 5: PATCH answers 200 or 400)."""
    status = getattr(outcome, "status", None)
    version = getattr(outcome, "version", None)
    if status == "applied":
        suffix = f" (versie {version})" if version else ""
        return Answer(
            200,
            {
                "message": _messages(
                    f"Bericht ontvangen en verwerkt{suffix}.", "Message received and processed."
                )
            },
            False,
        )
    if status == "duplicate":
        return Answer(
            200,
            {
                "message": _messages(
                    "Dit bericht was al ontvangen; er is niets gewijzigd.",
                    "This message was received before; nothing changed.",
                )
            },
            False,
        )
    reason = getattr(outcome, "reason", None) or "invalid"
    verdict = getattr(outcome, "verdict", None)
    # the quarantine's problems: a refusal by the planning (wrong student) is not in the verdict
    items = problem_items(getattr(outcome, "problems", None) or getattr(verdict, "errors", ()))
    if reason in ("unknown-association", "unknown-offering"):
        noun = "association" if kind == "association" else "offering"
        if config.accept_unknown:
            return Answer(
                200,
                {
                    "message": _messages(
                        f"Onbekende {'deelname' if kind == 'association' else 'zitting'}; het bericht is in "
                        "quarantaine gezet tot de planning bekend is.",
                        f"Unknown {noun}; the message is held in quarantine until the planning is known.",
                    )
                },
                False,
            )
        return Answer(
            404,
            {
                "detail": f"{noun} {object_id} is not known to this receiver [{reason}]",
                "errors": items
                or [{"pointer": "", "code": reason, "message": f"unknown {noun} {object_id}"}],
            },
            True,
        )
    if reason == "json-syntax":
        return Answer(400, {"detail": syntax_detail(items), "errors": items}, True)
    if not items:
        items = [{"pointer": "", "code": reason, "message": f"message refused: {reason}"}]
    n = len(items)
    detail = f"{n} problem{'s' if n != 1 else ''} [{reason}]: " + _detail_of(items)
    return Answer(400, {"detail": detail, "errors": items}, True)


LOG_PROBLEM_KEYS = ("pointer", "code", "message", "line", "column")


def answer_for(
    outcome: Any,
    backend: Any,
    config: ServerConfig,
    kind: str,
    object_id: str,
    message_id: str,
    log_row: dict,
) -> Answer:
    """Answer one ingested message and fill its request-log row (runs next to the Ingestor)."""
    judged = outcome
    if getattr(outcome, "status", None) == "duplicate":
        # A repeated refused message gets the same refusal again, not a 200.
        prior = getattr(backend, "prior_refusal", None)
        judged = (prior(message_id) if prior else None) or outcome
    answer = map_outcome(judged, config, kind, object_id)
    log_row.update(
        status=answer.status,
        outcome=getattr(outcome, "status", "error"),
        reason=getattr(outcome, "reason", None),
        version=getattr(outcome, "version", None),
        problems=[
            {k: v for k, v in e.items() if k in LOG_PROBLEM_KEYS} for e in answer.body.get("errors", ())
        ],
    )
    return answer
