"""`oke report vendor`: every request the receiver got, as text, JSON and JUnit."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from http_support import ASSOCIATIONS, UNKNOWN, scored
from typer.testing import CliRunner

from oke.cli import app as cli

runner = CliRunner()


def traffic(server) -> None:
    token = server.token()
    server.patch(f"/associations/{ASSOCIATIONS[0]}", scored(), token=token)  # 200 applied
    server.patch(f"/associations/{ASSOCIATIONS[0]}", scored(), token=token)  # 200 duplicate
    bad = scored()
    bad["result"]["weight"] = 500
    server.patch(f"/associations/{ASSOCIATIONS[1]}", bad, token=token)  # 400
    server.patch(f"/associations/{UNKNOWN}", scored(), token=token)  # 404
    server.http.patch(f"/associations/{ASSOCIATIONS[2]}", json=scored())  # 401
    server.thread.stop()  # the writer drains its queue on shutdown: every row is in the log


def test_vendor_report_json_lists_every_request_with_reasons(server, tmp_path):
    traffic(server)
    result = runner.invoke(cli, ["report", "vendor", "--db", server.db, "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["total"] == 6  # token request + 5 PATCH
    assert report["by_status"] == {"200": 3, "400": 1, "401": 1, "404": 1}
    assert report["accepted"] + report["refused"] == report["total"]
    invalid = next(r for r in report["requests"] if r["status"] == 400)
    assert invalid["reason"] == "invalid" and invalid["client_id"] == "dev-client"
    assert {"pointer": "/result/weight", "code": "schema.maximum"} in [
        {"pointer": p["pointer"], "code": p["code"]} for p in invalid["problems"]
    ]
    assert report["by_reason"]["auth.missing-token"] == 1


def test_vendor_report_text_and_junit(server):
    traffic(server)
    text = runner.invoke(cli, ["report", "vendor", "--db", server.db])
    assert text.exit_code == 0
    assert "Requests received: 6 (accepted 3, refused 3)" in text.output
    assert "/result/weight [schema.maximum]" in text.output
    junit = runner.invoke(cli, ["report", "vendor", "--db", server.db, "--format", "junit", "--refused-only"])
    root = ET.fromstring(junit.output.split("\n", 1)[1])
    assert root.get("tests") == "3" and root.get("failures") == "3"
    only = runner.invoke(
        cli, ["report", "vendor", "--db", server.db, "--format", "json", "--client", "dev-client"]
    )
    assert json.loads(only.output)["total"] == 5


def test_vendor_report_on_a_missing_store_is_a_clear_error_and_makes_no_store(tmp_path):
    """A path, a sqlite:/// URL or the default krs.sqlite: a typo must not report an empty store."""
    oke = Path(sys.executable).with_name("oke")
    missing = tmp_path / "nope.sqlite"
    for args in (["--db", str(missing)], ["--db", f"sqlite:///{missing}"], []):
        done = subprocess.run(
            [str(oke), "report", "vendor", *args], cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 2, (args, done.stdout + done.stderr)
        assert "no such store file" in done.stderr and "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_wrong_method_trailing_slash_and_door_refusals_are_in_the_report(server):
    token = server.token()
    headers = server.headers(token)
    assert server.http.delete(f"/associations/{ASSOCIATIONS[0]}", headers=headers).status_code == 405
    slash = server.patch(f"/associations/{ASSOCIATIONS[0]}/", scored(), token=token)
    assert slash.status_code == 404  # not a 307 redirect that a PATCH client may not follow
    assert slash.headers["content-type"] == "application/problem+json"
    assert server.http.get(f"/offerings/{ASSOCIATIONS[0]}/associations/", headers=headers).status_code == 404
    assert (
        server.patch(f"/associations/{ASSOCIATIONS[0]}", b'{"a": "caf\xe9"}', token=token).status_code == 400
    )
    server.thread.stop()
    result = runner.invoke(cli, ["report", "vendor", "--db", server.db, "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    rows = [(r["method"], r["status"], r["reason"], r["client_id"]) for r in report["requests"]]
    assert rows[1:] == [
        ("DELETE", 405, "method-not-allowed", "dev-client"),
        ("PATCH", 404, "not-found", "dev-client"),
        ("GET", 404, "not-found", "dev-client"),
        ("PATCH", 400, "json-syntax", "dev-client"),
    ]
    not_utf8 = report["requests"][4]
    assert not_utf8["outcome"] == "refused"
    assert [p["code"] for p in not_utf8["problems"]] == ["json-syntax"]
    assert "not UTF-8" in not_utf8["problems"][0]["message"]
