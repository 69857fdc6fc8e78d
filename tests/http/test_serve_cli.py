"""`oke serve` as a user starts it: a real subprocess on a free port, polled until ready."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from http_support import ASSOCIATIONS, DEV, scored

from oke_core.store import Store, models

OKE = Path(sys.executable).with_name("oke")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_and_send_as_processes(tmp_path, planning_dir):
    port = free_port()
    db = tmp_path / "krs.sqlite"
    proc = subprocess.Popen(
        [str(OKE), "serve", "--port", str(port), "--planning", str(planning_dir), "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(url + "/", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        messages = tmp_path / "messages.jsonl"
        messages.write_text(
            "".join(
                json.dumps(
                    {
                        "message_id": f"m-{i}",
                        "sent_at": "2026-09-16T10:00:00Z",
                        "method": "PATCH",
                        "path": f"/associations/{a}",
                        "body": scored(raw=20 + i),
                    }
                )
                + "\n"
                for i, a in enumerate(ASSOCIATIONS)
            )
        )
        sent = subprocess.run(
            [
                str(OKE),
                "send",
                str(messages),
                "--to",
                url,
                "--client-id",
                "dev-client",
                "--client-secret",
                "dev-secret",
                "--format",
                "json",
                "--quiet",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert sent.returncode == 0, sent.stderr
        assert json.loads(sent.stdout)["by_status"] == {"200": len(ASSOCIATIONS)}
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
    assert "client_id=dev-client" in err and "client_secret=dev-secret" in err  # dev default announced
    store = Store.open(str(db), create=False)
    try:
        assert store.count(models.ResultVersion) == len(ASSOCIATIONS)
    finally:
        store.close()


def test_serve_needs_a_planning_or_accept_unknown(tmp_path):
    result = subprocess.run(
        [str(OKE), "serve", "--db", str(tmp_path / "k.sqlite")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "--planning DIR" in result.stderr and "Traceback" not in result.stderr


def test_serve_reports_a_bad_clients_file_with_line_and_rule(tmp_path, planning_dir):
    clients = tmp_path / "clients.yaml"
    clients.write_text("- client_id: ta\n  client_secret: long-enough\n  scopes: [nl-test-admin-flow-9]\n")
    result = subprocess.run(
        [
            str(OKE),
            "serve",
            "--planning",
            str(planning_dir),
            "--clients",
            str(clients),
            "--db",
            str(tmp_path / "k.sqlite"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert f"{clients}:3: /0/scopes/0:" in result.stderr and "[schema.enum]" in result.stderr
    assert "long-enough" not in result.stderr and "Traceback" not in result.stderr


def test_serve_reports_a_bad_planning_file(tmp_path, planning_dir):
    (planning_dir / "associations.jsonl").write_text('{"association_id": "x"}\n')
    result = subprocess.run(
        [str(OKE), "serve", "--planning", str(planning_dir), "--db", str(tmp_path / "k.sqlite")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "associations.jsonl:1" in result.stderr and "Traceback" not in result.stderr


def _wait_until_up(proc: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(url + "/", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.2)


def test_access_log_prints_one_line_per_request_without_tokens(tmp_path, planning_dir):
    port = free_port()
    proc = subprocess.Popen(
        [
            str(OKE),
            "serve",
            "--access-log",
            "--writer",
            "thread",
            "--port",
            str(port),
            "--planning",
            str(planning_dir),
            "--db",
            str(tmp_path / "krs.sqlite"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(proc, url)
        with httpx.Client(base_url=url, timeout=30) as http:
            got = http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=DEV)
            token = got.json()["access_token"]
            patched = http.patch(
                f"/associations/{ASSOCIATIONS[0]}",
                content=json.dumps(scored()),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/merge-patch+json"},
            )
            assert patched.status_code == 200
            http.get(f"/?access_token={token}")  # a token in the query string is not printed either
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    printed = out + err
    assert '"POST /oauth/token HTTP/1.1" 200' in printed
    assert f'"PATCH /associations/{ASSOCIATIONS[0]} HTTP/1.1" 200' in printed
    assert printed.count('"GET / HTTP/1.1" 200') >= 1  # the readiness polls
    assert token not in printed


def test_a_port_in_use_is_a_clear_error_and_port_0_says_which_port_it_got(tmp_path, planning_dir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        done = subprocess.run(
            [str(OKE), "serve", "--port", str(busy), "--planning", str(planning_dir)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2, done.stderr
    assert f"cannot listen on 127.0.0.1:{busy}" in done.stderr and "--port 0" in done.stderr
    assert "listening on" not in done.stderr and "Traceback" not in done.stderr
    proc = subprocess.Popen(
        [
            str(OKE),
            "serve",
            "--port",
            "0",
            "--planning",
            str(planning_dir),
            "--db",
            str(tmp_path / "k.sqlite"),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        assert first.startswith("oke serve: listening on http://127.0.0.1:"), first
        url = first.split("listening on ", 1)[1].split(" ", 1)[0]
        assert not url.endswith(":0")
        _wait_until_up(proc, url)
        assert httpx.get(url + "/openapi.json", timeout=10).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
