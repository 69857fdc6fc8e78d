"""OAuth2 client credentials and bearer checks, over real HTTP on loopback."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest
from http_support import ASSOCIATIONS, DEV, OFFERING, scored
from sqlalchemy import text

from oke.http.answers import ServerConfig
from oke.http.clients import ClientRegistry
from oke.http.oauth import BearerError, TokenIssuer
from oke_core.dataerrors import DataError


def test_token_by_basic_and_by_form(server):
    basic = server.http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=DEV)
    assert basic.status_code == 200
    assert basic.headers["cache-control"] == "no-store"
    data = basic.json()
    assert data["token_type"] == "Bearer" and data["expires_in"] == 3600
    assert data["scope"] == "nl-test-admin-flow-2-3-4"
    form = server.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": DEV[0], "client_secret": DEV[1]},
    )
    assert form.status_code == 200
    assert form.json()["access_token"] != data["access_token"]


@pytest.mark.parametrize(
    ("data", "auth", "status", "error"),
    [
        ({"grant_type": "client_credentials"}, ("dev-client", "wrong"), 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, None, 401, "invalid_client"),
        ({"grant_type": "password"}, DEV, 400, "unsupported_grant_type"),
        ({}, DEV, 400, "invalid_request"),
        ({"grant_type": "client_credentials", "scope": "nl-test-admin-flow-6"}, DEV, 400, "invalid_scope"),
    ],
)
def test_token_errors_follow_rfc6749(server, data, auth, status, error):
    resp = server.http.post("/oauth/token", data=data, auth=auth)
    assert resp.status_code == status
    assert resp.json()["error"] == error
    if status == 401:
        assert resp.headers["www-authenticate"].startswith("Basic")


def test_token_request_must_be_form_encoded(server):
    resp = server.http.post("/oauth/token", json={"grant_type": "client_credentials"}, auth=DEV)
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_request"


def test_patch_without_token_is_401_with_bearer_challenge(server):
    resp = server.http.patch(f"/associations/{ASSOCIATIONS[0]}", json=scored())
    assert resp.status_code == 401
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.headers["www-authenticate"].startswith("Bearer")
    assert resp.json()["status"] == "401"


def test_other_schemes_and_empty_tokens_follow_rfc_6750(server):
    path = f"/associations/{ASSOCIATIONS[0]}"
    basic = server.http.patch(path, json=scored(), headers={"Authorization": "Basic ZGV2OnNlY3JldA=="})
    assert basic.status_code == 401  # another scheme is "no token": a challenge without an error code
    assert (
        basic.headers["www-authenticate"].startswith("Bearer")
        and "error=" not in basic.headers["www-authenticate"]
    )
    empty = server.http.patch(path, json=scored(), headers={"Authorization": "Bearer"})
    assert empty.status_code == 400 and 'error="invalid_request"' in empty.headers["www-authenticate"]
    assert "date" in basic.headers  # RFC 9110 6.6.1: every answer carries the server's Date


def test_unknown_token_is_401_invalid_token(server):
    resp = server.patch(f"/associations/{ASSOCIATIONS[0]}", scored(), token="not-a-token")
    assert resp.status_code == 401
    assert 'error="invalid_token"' in resp.headers["www-authenticate"]


def write_clients(path: Path, text_: str) -> Path:
    path.write_text(text_, encoding="utf-8")
    return path


CLIENTS = (
    "- {client_id: ta, client_secret: ta-secret-1, scopes: [nl-test-admin-flow-2-3-4]}\n"
    "- {client_id: catalogue, client_secret: cat-secret-1, scopes: [nl-test-admin-flow-0]}\n"
    "- {client_id: krs, client_secret: krs-secret-1, scopes: [nl-test-admin-flow-1-5]}\n"
)
TA, CATALOGUE, KRS = ("ta", "ta-secret-1"), ("catalogue", "cat-secret-1"), ("krs", "krs-secret-1")
SESSION_REPORT = {"offeringType": "component", "consumers": [{"consumerKey": "nl-test-admin"}]}


def test_wrong_scope_is_403(serve, tmp_path):
    srv = serve(clients=write_clients(tmp_path / "clients.yaml", CLIENTS))
    resp = srv.patch(f"/associations/{ASSOCIATIONS[0]}", scored(), token=srv.token(CATALOGUE))
    assert resp.status_code == 403
    assert 'error="insufficient_scope"' in resp.headers["www-authenticate"]
    assert 'scope="nl-test-admin-flow-2-3-4"' in resp.headers["www-authenticate"]
    # PATCH /offerings (flow 4, session report): the profile lists both scopes, so either will do
    report = srv.patch(f"/offerings/{OFFERING}", SESSION_REPORT, token=srv.token(KRS))
    assert report.status_code == 400  # past the door: judged on its (minimal) content, not refused 403
    assert "www-authenticate" not in report.headers
    refused = srv.patch(f"/offerings/{OFFERING}", SESSION_REPORT, token=srv.token(CATALOGUE))
    assert refused.status_code == 403
    ok = srv.patch(f"/associations/{ASSOCIATIONS[0]}", scored(), token=srv.token(TA))
    assert ok.status_code == 200
    # the development default is not active once a clients file is given
    assert (
        srv.http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=DEV).status_code == 401
    )


def test_patch_association_accepts_either_profile_scope(serve, tmp_path):
    # The profile's PATCH /associations/{associationId} lists both scopes; the body decides nothing.
    srv = serve(clients=write_clients(tmp_path / "clients.yaml", CLIENTS))
    with_attempt = scored(raw=31)
    with_attempt["consumers"] = [{"consumerKey": "nl-test-admin", "attempt": 1}]  # reads as flow 5
    for client, association, body in (
        (TA, ASSOCIATIONS[0], with_attempt),
        (KRS, ASSOCIATIONS[1], scored(raw=32)),
    ):
        resp = srv.patch(f"/associations/{association}", body, token=srv.token(client))
        assert resp.status_code != 403, (client, resp.text)
        assert resp.status_code in (200, 400), resp.text


def test_each_operation_accepts_exactly_the_scopes_the_served_document_lists(serve, tmp_path):
    folder = tmp_path / "documents"
    folder.mkdir()
    doc_id = "0b0f6a38-6b2b-4a57-9a3e-2d9c1f3a5e11"
    (folder / doc_id).write_bytes(b"%PDF-1.4")
    srv = serve(
        clients=write_clients(tmp_path / "clients.yaml", CLIENTS), config=ServerConfig(documents_dir=folder)
    )
    doc = srv.http.get("/openapi.json").json()
    tokens = {
        "nl-test-admin-flow-2-3-4": TA,
        "nl-test-admin-flow-1-5": KRS,
        "nl-test-admin-flow-0": CATALOGUE,
    }
    requests = {
        ("/associations/{associationId}", "get"): ("GET", f"/associations/{ASSOCIATIONS[0]}", None),
        ("/associations/{associationId}", "patch"): ("PATCH", f"/associations/{ASSOCIATIONS[0]}", scored()),
        ("/offerings/{offeringId}", "patch"): ("PATCH", f"/offerings/{OFFERING}", SESSION_REPORT),
        ("/offerings/{offeringId}/associations", "get"): ("GET", f"/offerings/{OFFERING}/associations", None),
        ("/documents/{documentId}", "get"): ("GET", f"/documents/{doc_id}", None),
    }
    for (path, method), (verb, url, body) in requests.items():
        listed = {s for req in doc["paths"][path][method]["security"] for s in req.get("oAuthFlows", ())}
        for scope, client in tokens.items():
            token = srv.token(client)
            if verb == "PATCH":
                resp = srv.patch(url, body, token=token)
            else:
                resp = srv.http.get(url, headers=srv.headers(token))
            assert (resp.status_code != 403) == (scope in listed), (verb, url, scope, resp.status_code)


def test_tokens_expire(serve):
    srv = serve(token_ttl=1)
    token = srv.token()
    assert srv.patch(f"/associations/{ASSOCIATIONS[0]}", scored(), token=token).status_code == 200
    time.sleep(1.2)
    resp = srv.patch(f"/associations/{ASSOCIATIONS[1]}", scored(), token=token)
    assert resp.status_code == 401
    assert "expired" in resp.json()["detail"]


def test_issuer_expiry_with_a_clock():
    now = [1000.0]
    issuer = TokenIssuer(ClientRegistry.development_default(), ttl=60, clock=lambda: now[0])
    token, grant = issuer.token_request(
        "Basic " + base64.b64encode(b"dev-client:dev-secret").decode(), {"grant_type": "client_credentials"}
    )
    assert issuer.check(f"Bearer {token}", "nl-test-admin-flow-2-3-4") == grant
    now[0] += 60
    with pytest.raises(BearerError) as info:
        issuer.check(f"Bearer {token}", "nl-test-admin-flow-2-3-4")
    assert info.value.status == 401


def test_secrets_and_tokens_never_reach_the_log(server):
    token = server.token()
    server.patch(f"/associations/{ASSOCIATIONS[0]}", scored(), token=token)
    server.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": DEV[0], "client_secret": "guess-me-123"},
    )
    server.thread.stop()
    with server.store.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM request_log")).all()
    dump = repr(rows)
    assert len(rows) >= 3
    for secret in (DEV[1], token, "guess-me-123"):
        assert secret not in dump


@pytest.mark.parametrize(
    ("content", "line", "pointer", "rule"),
    [
        ("- client_id: a\n\tclient_secret: b\n", 2, "", "yaml-syntax"),
        ("- client_id: a\n  scopes: []\n", 1, "/0", "schema.required"),
        ("- client_id: a\n  client_secret: abcdefgh\n  scopes: [flow-9]\n", 3, "/0/scopes/0", "schema.enum"),
        ("- client_id: a\n  client_secret: short\n  scopes: []\n", 2, "/0/client_secret", "schema.minLength"),
        (
            "- {client_id: a, client_secret: abcdefgh, scopes: []}\n"
            "- {client_id: a, client_secret: ijklmnop, scopes: []}\n",
            2,
            "/1/client_id",
            "unique-client-id",
        ),
    ],
)
def test_clients_file_errors_name_file_line_pointer_rule(tmp_path, content, line, pointer, rule):
    path = write_clients(tmp_path / "clients.yaml", content)
    with pytest.raises(DataError) as info:
        ClientRegistry.load(path)
    err = info.value
    assert (err.file, err.line, err.pointer, err.rule) == (str(path), line, pointer, rule)
    if rule == "schema.minLength":
        assert "short" not in str(err)  # the secret itself is never echoed
