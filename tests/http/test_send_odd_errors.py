"""`oke send` against a receiver whose problem answer lists its errors as plain strings (or null)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from http_support import ASSOCIATIONS, scored
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from typer.testing import CliRunner

from oke.cli import app as cli
from oke.http.server import ServerThread

runner = CliRunner()


async def refuse(request: Request) -> Response:
    await request.body()
    return JSONResponse(
        {"status": "400", "title": "Bad Request", "errors": ["attendance is not valid", None, 7]}, 400
    )


def _messages(tmp_path: Path) -> Path:
    env = {
        "message_id": "m-1",
        "sent_at": "2026-09-16T10:00:00Z",
        "method": "PATCH",
        "path": f"/associations/{ASSOCIATIONS[0]}",
        "body": scored(),
    }
    path = tmp_path / "messages.jsonl"
    path.write_text(json.dumps(env) + "\n", encoding="utf-8")
    return path


def test_errors_that_are_not_objects_are_shown_not_a_traceback(tmp_path):
    """Used to crash after sending: AttributeError: 'str' object has no attribute 'get' (text, junit)."""
    app = Starlette(routes=[Route("/associations/{aid}", refuse, methods=["PATCH"])])
    messages = _messages(tmp_path)
    with ServerThread(app) as srv:
        args = ["send", str(messages), "--to", srv.url, "--quiet", "--max-attempts", "1"]
        text = runner.invoke(cli, args)
        junit = runner.invoke(cli, [*args, "--format", "junit"])
        as_json = runner.invoke(cli, [*args, "--format", "json"])
    for result in (text, junit, as_json):
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code == 0, result.output
    assert "Refused or undelivered (1)" in text.output
    assert "attendance is not valid" in text.output
    failure = ET.fromstring(junit.output.split("\n", 1)[1]).find(".//failure")
    assert failure is not None and "attendance is not valid; / [?] null; / [?] 7" in (failure.text or "")
    refused = json.loads(as_json.output)["refused"][0]
    assert refused["errors"] == [
        {"message": "attendance is not valid"},
        {"message": "null"},
        {"message": "7"},
    ]
