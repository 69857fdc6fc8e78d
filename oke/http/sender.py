"""`oke send`: play the test administration system against any OKE receiver.

Messages go out one at a time, in file order. Transient failures (connection errors, 429, 5xx)
are retried with exponential backoff, honouring Retry-After. Every attempt of one message carries
the same X-OKE-Message-Id, so a retry after a lost answer is recognised as a duplicate by a receiver
that supports it; an accepted message (2xx) is never sent again, and with a journal not even after
the run is interrupted and started again.
"""

from __future__ import annotations

import email.utils
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from oke_core.contract.sources import open_lines
from oke_core.dataerrors import DataError

TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})
MEDIA = {"PATCH": "application/merge-patch+json", "PUT": "application/json"}


@dataclass(frozen=True)
class Envelope:
    line: int
    message_id: str
    method: str
    path: str
    payload: bytes
    sent_at: str | None


@dataclass
class SendResult:
    line: int
    message_id: str
    method: str
    path: str
    status: int | None  # last HTTP status; None when no answer ever came
    attempts: int
    outcome: str  # accepted | refused | failed | skipped
    title: str = ""
    detail: str = ""
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "message_id": self.message_id,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "attempts": self.attempts,
            "outcome": self.outcome,
            "title": self.title,
            "detail": self.detail,
            "errors": self.errors,
        }


@dataclass
class SendReport:
    source: str
    target: str
    results: list[SendResult] = field(default_factory=list)

    @property
    def by_status(self) -> Counter:
        return Counter("no answer" if r.status is None else str(r.status) for r in self.results)

    @property
    def by_outcome(self) -> Counter:
        return Counter(r.outcome for r in self.results)

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "target": self.target,
            "total": len(self.results),
            "by_outcome": dict(sorted(self.by_outcome.items())),
            "by_status": dict(sorted(self.by_status.items())),
            "refused": [r.as_dict() for r in self.results if r.outcome in ("refused", "failed")],
        }


def read_envelopes(path: Path) -> Iterator[Envelope]:
    """Stream and check the message file; a bad line stops with file:line: pointer: message [rule]."""
    with open_lines(path) as fh:  # past a byte order mark, as validate and ingest read
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                env = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise DataError(
                    path, lineno, "", "json-syntax", f"the envelope is not valid JSON ({exc})"
                ) from None
            yield _envelope(path, lineno, env)


def _envelope(path: Path, lineno: int, env: Any) -> Envelope:
    def bad(pointer: str, rule: str, message: str) -> DataError:
        return DataError(path, lineno, pointer, rule, message)

    if not isinstance(env, dict):
        raise bad("", "schema.type", "an envelope must be a JSON object")
    for key in ("message_id", "method", "path"):
        if not isinstance(env.get(key), str) or not env[key]:
            raise bad(f"/{key}", "schema.required", f"{key} is required and must be a non-empty string")
    method = env["method"].upper()
    if method not in MEDIA:
        raise bad("/method", "schema.enum", f"method must be PATCH or PUT, not {env['method']!r}")
    if not env["path"].startswith("/"):
        raise bad("/path", "schema.pattern", "path must start with '/' (e.g. /associations/{id})")
    has_body, has_text = "body" in env, "body_text" in env
    if has_body == has_text:
        raise bad("", "envelope.body", "exactly one of body or body_text is required")
    if has_text:
        if not isinstance(env["body_text"], str):
            raise bad("/body_text", "schema.type", "body_text must be a string (the raw HTTP body)")
        payload = env["body_text"].encode("utf-8")
    else:
        payload = orjson.dumps(env["body"])
    sent_at = env.get("sent_at") if isinstance(env.get("sent_at"), str) else None
    return Envelope(lineno, env["message_id"], method, env["path"], payload, sent_at)


class TokenSource:
    """Client-credentials token, fetched lazily and renewed shortly before it expires."""

    def __init__(
        self,
        client: httpx.Client,
        token_url: str,
        client_id: str,
        client_secret: str,
        scope: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self.token_url = token_url
        self._auth = (client_id, client_secret)
        self._scope = scope
        self._clock = clock
        self._token: str | None = None
        self._expires = 0.0

    def get(self, force: bool = False) -> str:
        if force or self._token is None or self._clock() >= self._expires - 30:
            form = {"grant_type": "client_credentials"}
            if self._scope:
                form["scope"] = self._scope
            resp = self._client.post(self.token_url, data=form, auth=self._auth)
            if resp.status_code != 200:
                try:
                    err = resp.json()
                    why = f"{err.get('error')}: {err.get('error_description', '')}"
                except ValueError:
                    why = resp.text[:200]
                raise TokenError(f"token request to {self.token_url} refused ({resp.status_code}) {why}")
            data = resp.json()
            self._token = data["access_token"]
            self._expires = self._clock() + float(data.get("expires_in", 3600))
        return self._token


class TokenError(RuntimeError):
    pass


class Sender:
    def __init__(
        self,
        base_url: str,
        *,
        tokens: TokenSource | None = None,
        client: httpx.Client | None = None,
        max_attempts: int = 8,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client or httpx.Client(timeout=30.0)
        self.tokens = tokens
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._sleep = sleep

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            seconds = _retry_after_seconds(retry_after)
            if seconds is not None:
                return min(seconds, self.max_backoff)
        return min(self.max_backoff, self.backoff * 2 ** (attempt - 1))

    def send(self, env: Envelope) -> SendResult:
        headers = {
            "Content-Type": MEDIA[env.method],
            "X-OKE-Message-Id": env.message_id,
            "Accept": "application/json",
        }
        if env.sent_at:
            headers["X-OKE-Sent-At"] = env.sent_at
        url = self.base_url + env.path
        refreshed = False
        attempt = 0
        last_status: int | None = None
        last_error = ""
        while attempt < self.max_attempts:
            attempt += 1
            if self.tokens is not None:
                try:
                    headers["Authorization"] = "Bearer " + self.tokens.get()
                except httpx.TransportError as exc:
                    last_error = f"token endpoint unreachable: {exc.__class__.__name__}"
                    self._sleep(self._delay(attempt, None))
                    continue
            try:
                resp = self.client.request(env.method, url, content=env.payload, headers=headers)
            except httpx.TransportError as exc:
                last_error = f"{exc.__class__.__name__}: {exc}"
                last_status = None
                if attempt < self.max_attempts:
                    self._sleep(self._delay(attempt, None))
                continue
            last_status = resp.status_code
            if resp.status_code == 401 and self.tokens is not None and not refreshed:
                refreshed = True  # the token may have expired in between: renew once, not counted
                self.tokens.get(force=True)
                attempt -= 1
                continue
            if resp.status_code in TRANSIENT_STATUS:
                last_error = _problem(resp)[1] or resp.reason_phrase
                if attempt < self.max_attempts:
                    self._sleep(self._delay(attempt, resp.headers.get("retry-after")))
                continue
            title, detail, errors = _problem(resp)
            outcome = "accepted" if resp.status_code < 300 else "refused"
            return SendResult(
                env.line,
                env.message_id,
                env.method,
                env.path,
                resp.status_code,
                attempt,
                outcome,
                title,
                detail,
                errors,
            )
        return SendResult(
            env.line,
            env.message_id,
            env.method,
            env.path,
            last_status,
            attempt,
            "failed",
            "gave up",
            f"no final answer after {attempt} attempts: {last_error}",
        )

    def close(self) -> None:
        self.client.close()


def _problem(resp: httpx.Response) -> tuple[str, str, list[dict]]:
    if resp.status_code < 300:
        return "", "", []
    try:
        data = resp.json()
    except ValueError:
        return resp.reason_phrase, resp.text[:500], []
    if not isinstance(data, dict):
        return resp.reason_phrase, resp.text[:500], []
    items = data.get("errors")
    errors = [_error_item(e) for e in items] if isinstance(items, list) else []
    return str(data.get("title", resp.reason_phrase)), str(data.get("detail", "")), errors


def _error_item(item: object) -> dict:
    """One entry of a receiver's ``errors``: an object is kept; anything else (a plain string, a
    number, null) becomes its message, so the summary can still show it."""
    if isinstance(item, dict):
        return item
    return {"message": item if isinstance(item, str) else orjson.dumps(item).decode()}


def _retry_after_seconds(value: str) -> float | None:
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class Journal:
    """Accepted deliveries (file line + message id), so a restarted run skips them."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.done: set[tuple[int, str]] = set()
        if path is not None and path.exists():
            for raw in path.read_text(encoding="utf-8").splitlines():
                line, _, message_id = raw.partition("\t")
                if line.isdigit():
                    self.done.add((int(line), message_id))
        self._fh = path.open("a", encoding="utf-8") if path is not None else None

    def seen(self, env: Envelope) -> bool:
        return (env.line, env.message_id) in self.done

    def record(self, env: Envelope) -> None:
        if self._fh is not None:
            self._fh.write(f"{env.line}\t{env.message_id}\n")
            self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


def send_file(
    path: Path,
    sender: Sender,
    *,
    journal: Journal | None = None,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[SendResult], None] | None = None,
) -> SendReport:
    # Check the whole file first (streaming): a bad line must not leave half of it sent.
    total = count_envelopes(path)
    if on_start is not None:
        on_start(total)
    report = SendReport(str(path), sender.base_url)
    for env in read_envelopes(path):
        if journal is not None and journal.seen(env):
            result = SendResult(
                env.line,
                env.message_id,
                env.method,
                env.path,
                None,
                0,
                "skipped",
                detail="accepted in an earlier run (journal)",
            )
        else:
            result = sender.send(env)
            if result.outcome == "accepted" and journal is not None:
                journal.record(env)
        report.results.append(result)
        if on_result is not None:
            on_result(result)
    return report


def count_envelopes(path: Path) -> int:
    return sum(1 for _ in read_envelopes(path))
