"""`oke send` end to end against `oke serve`, and its retry behaviour against a flaky receiver."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
from http_support import ASSOCIATIONS, CANCELED, UNKNOWN, attendance, scored
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from typer.testing import CliRunner

from oke.cli import app as cli
from oke.http.sender import Envelope, Sender
from oke.http.server import ServerThread
from oke_core.requestlog import iter_requests
from oke_core.store import models

runner = CliRunner()


def envelope(mid: str, association: str, body: dict | None = None, text: str | None = None) -> dict:
    env = {
        "message_id": mid,
        "sent_at": "2026-09-16T10:00:00Z",
        "method": "PATCH",
        "path": f"/associations/{association}",
    }
    if text is not None:
        env["body_text"] = text
    else:
        env["body"] = body
    return env


def write_messages(path: Path, envelopes: list[dict]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in envelopes), encoding="utf-8")
    return path


def invalid_body() -> dict:
    body = scored()
    body["result"]["consumers"][0]["attendance"] = "asleep"
    return body


def mixed_messages(tmp_path: Path) -> Path:
    return write_messages(
        tmp_path / "messages.jsonl",
        [
            envelope("m-1", ASSOCIATIONS[0], attendance()),
            envelope("m-2", ASSOCIATIONS[0], scored()),
            envelope("m-2", ASSOCIATIONS[0], scored()),  # duplicate delivery: same id, same body
            envelope("m-3", ASSOCIATIONS[1], text='{"associationType": "componentOfferingAssociation",'),
            envelope("m-4", ASSOCIATIONS[2], invalid_body()),
            envelope("m-5", UNKNOWN, scored()),
            envelope("m-6", CANCELED, scored()),
        ],
    )


def test_send_against_serve_end_to_end(server, tmp_path):
    messages = mixed_messages(tmp_path)
    out = tmp_path / "summary.json"
    result = runner.invoke(
        cli,
        [
            "send",
            str(messages),
            "--to",
            server.url,
            "--client-id",
            "dev-client",
            "--client-secret",
            "dev-secret",
            "--format",
            "json",
            "--output",
            str(out),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(out.read_text())
    assert summary["total"] == 7
    assert summary["by_status"] == {"200": 4, "400": 2, "404": 1}
    refused = {r["message_id"]: r for r in summary["refused"]}
    assert set(refused) == {"m-3", "m-4", "m-5"}
    assert refused["m-3"]["errors"][0]["code"] == "json-syntax"
    assert any(e["pointer"].endswith("/attendance") for e in refused["m-4"]["errors"])
    # the store agrees: 3 versions (attendance, score, cancelled), 1 duplicate, 3 in quarantine
    store = server.store
    assert store.count(models.ResultVersion) == 3
    assert store.count(models.QuarantineItem) == 3
    assert store.count(models.InboxEntry) == 6
    logged = list(iter_requests(store.engine))
    patches = [r for r in logged if r.method == "PATCH"]
    assert [r.message_id for r in patches] == ["m-1", "m-2", "m-2", "m-3", "m-4", "m-5", "m-6"]
    assert [r.outcome for r in patches].count("duplicate") == 1


def test_send_text_and_junit_summaries(server, tmp_path):
    messages = mixed_messages(tmp_path)
    args = [
        "send",
        str(messages),
        "--to",
        server.url,
        "--client-id",
        "dev-client",
        "--client-secret",
        "dev-secret",
        "--quiet",
    ]
    text = runner.invoke(cli, args)
    assert text.exit_code == 0, text.output
    assert "Refused or undelivered (3)" in text.output
    assert f"Responses from {server.url} (7 messages)" in text.output.splitlines()  # not wrapped
    assert "json-syntax" in text.output
    junit = runner.invoke(cli, [*args, "--format", "junit"])
    root = ET.fromstring(junit.output.split("\n", 1)[1])
    assert root.get("tests") == "7" and root.get("failures") == "3"
    strict = runner.invoke(cli, [*args, "--strict"])
    assert strict.exit_code == 1


def test_bad_envelope_file_names_line_and_pointer_and_sends_nothing(server, tmp_path):
    path = tmp_path / "messages.jsonl"
    path.write_text(json.dumps(envelope("m-1", ASSOCIATIONS[0], scored())) + "\n" + '{"message_id": "m-2"}\n')
    result = runner.invoke(
        cli,
        [
            "send",
            str(path),
            "--to",
            server.url,
            "--client-id",
            "dev-client",
            "--client-secret",
            "dev-secret",
            "--quiet",
        ],
    )
    assert result.exit_code == 2
    assert f"{path}:2: /method" in result.output and "[schema.required]" in result.output
    assert server.store.count(models.ResultVersion) == 0


def test_wrong_credentials_stop_with_a_clear_message(server, tmp_path):
    result = runner.invoke(
        cli,
        [
            "send",
            str(mixed_messages(tmp_path)),
            "--to",
            server.url,
            "--client-id",
            "dev-client",
            "--client-secret",
            "nope",
            "--quiet",
        ],
    )
    assert result.exit_code == 2
    assert "invalid_client" in result.output


class Flaky:
    """A receiver that fails in the ways the sender must survive, and counts what it accepted."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.accepted: list[str] = []

    async def patch(self, request: Request) -> Response:
        mid = request.headers["x-oke-message-id"]
        n = self.calls[mid] = self.calls.get(mid, 0) + 1
        await request.body()
        if mid == "slow-down" and n == 1:
            return JSONResponse(
                {"status": "429", "title": "Too many requests"}, 429, headers={"Retry-After": "0"}
            )
        if mid == "broken" and n <= 2:
            return JSONResponse({"status": "503", "title": "Service unavailable"}, 503)
        if mid == "always-down":
            return JSONResponse({"status": "500", "title": "Internal Server Error"}, 500)
        self.accepted.append(mid)
        return JSONResponse({"message": [{"language": "nl-NL", "value": "ok"}]})


def test_sender_retries_transient_failures_and_never_resends_accepted(tmp_path):
    flaky = Flaky()
    app = Starlette(routes=[Route("/associations/{aid}", flaky.patch, methods=["PATCH"])])
    sleeps: list[float] = []
    with ServerThread(app) as srv:
        sender = Sender(srv.url, max_attempts=4, backoff=0.25, sleep=sleeps.append)
        results = [
            sender.send(Envelope(i, mid, "PATCH", f"/associations/{ASSOCIATIONS[0]}", b"{}", None))
            for i, mid in enumerate(["fine", "slow-down", "broken", "always-down"], 1)
        ]
        sender.close()
    by_id = {r.message_id: r for r in results}
    assert by_id["fine"].outcome == "accepted" and by_id["fine"].attempts == 1
    assert by_id["slow-down"].outcome == "accepted" and by_id["slow-down"].attempts == 2
    assert by_id["broken"].outcome == "accepted" and by_id["broken"].attempts == 3
    assert by_id["always-down"].outcome == "failed" and by_id["always-down"].status == 500
    assert flaky.accepted == ["fine", "slow-down", "broken"]  # each accepted exactly once
    assert sleeps == [0.0, 0.25, 0.5, 0.25, 0.5, 1.0]  # Retry-After honoured, then exponential backoff


def test_connection_refused_is_retried_then_reported(tmp_path):
    with ServerThread(Starlette()) as srv:
        url = srv.url
    sleeps: list[float] = []
    sender = Sender(url, max_attempts=3, backoff=0.1, sleep=sleeps.append, client=httpx.Client(timeout=2))
    result = sender.send(Envelope(1, "m-1", "PATCH", "/associations/x", b"{}", None))
    assert result.outcome == "failed" and result.status is None and result.attempts == 3
    assert "ConnectError" in result.detail
    assert sleeps == [0.1, 0.2]


def test_journal_skips_accepted_messages_on_a_rerun(server, tmp_path):
    messages = mixed_messages(tmp_path)
    journal = tmp_path / "sent.journal"
    args = [
        "send",
        str(messages),
        "--to",
        server.url,
        "--client-id",
        "dev-client",
        "--client-secret",
        "dev-secret",
        "--quiet",
        "--format",
        "json",
        "--journal",
        str(journal),
    ]
    assert runner.invoke(cli, args).exit_code == 0
    before = list(iter_requests(server.store.engine))
    rerun = runner.invoke(cli, args)
    assert rerun.exit_code == 0
    after = [r for r in iter_requests(server.store.engine) if r.method == "PATCH"]
    resent = [r.message_id for r in after[len([b for b in before if b.method == "PATCH"]) :]]
    assert resent == ["m-3", "m-4", "m-5"]  # only the refused ones went out again
    assert server.store.count(models.ResultVersion) == 3


def test_send_reads_past_a_byte_order_mark(server, tmp_path):
    """A message file saved with a UTF-8 BOM is sent whole (it used to stop at line 1: 'not valid JSON')."""
    messages = tmp_path / "bom.jsonl"
    messages.write_bytes(b"\xef\xbb\xbf" + mixed_messages(tmp_path).read_bytes())
    result = runner.invoke(
        cli,
        ["send", str(messages), "--to", server.url, "--client-id", "dev-client"]
        + ["--client-secret", "dev-secret", "--format", "json", "--quiet"],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["total"] == 7
