"""The receiving side of flows 3 and 4 over real HTTP: answers, errors and what lands in the store."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from http_support import (
    ASSOCIATIONS,
    CANCELED,
    OFFERING,
    OFFERING_EMPTY,
    STUDENTS,
    UNKNOWN,
    add_associations,
    attendance,
    pg_url,
    scored,
)
from sqlalchemy import text

from oke.http.app import ServerConfig
from oke_core.store import models


def test_valid_result_is_200_with_dutch_and_english_message(server):
    resp = server.patch(f"/associations/{ASSOCIATIONS[0]}", scored())
    assert resp.status_code == 200, resp.text
    languages = [m["language"] for m in resp.json()["message"]]
    assert languages == ["nl-NL", "en-GB"]
    assert server.store.count(models.ResultVersion, association_id=ASSOCIATIONS[0]) == 1


def test_plain_application_json_is_accepted_too(server):
    resp = server.patch(f"/associations/{ASSOCIATIONS[0]}", scored(), **{"Content-Type": "application/json"})
    assert resp.status_code == 200


def test_other_media_type_is_415(server):
    resp = server.patch(f"/associations/{ASSOCIATIONS[0]}", scored(), **{"Content-Type": "text/plain"})
    assert resp.status_code == 415
    assert resp.headers["content-type"] == "application/problem+json"


def test_broken_json_is_400_with_line_and_column(server):
    broken = '{\n  "associationType": "componentOfferingAssociation",\n  "result": {"state": "completed",}\n}'
    resp = server.patch(f"/associations/{ASSOCIATIONS[0]}", broken)
    assert resp.status_code == 400
    assert resp.headers["content-type"] == "application/problem+json"
    problem = resp.json()
    assert problem["status"] == "400" and problem["title"]
    assert "line 3" in problem["detail"] and "column" in problem["detail"]
    assert problem["errors"][0]["code"] == "json-syntax"
    assert problem["errors"][0]["line"] == 3
    # nothing is lost: the raw text is in quarantine with its reason
    assert server.store.count(models.QuarantineItem, reason="json-syntax") == 1


def test_invalid_field_is_400_naming_pointer_and_rule(server):
    body = scored()
    body["result"]["state"] = "done"
    del body["result"]["resultDate"]
    resp = server.patch(f"/associations/{ASSOCIATIONS[0]}", body)
    assert resp.status_code == 400
    problem = resp.json()
    pairs = {(e["pointer"], e["code"]) for e in problem["errors"]}
    assert ("/result/state", "schema.enum") in pairs
    assert "/result/state" in problem["detail"] and "[schema.enum]" in problem["detail"]
    assert server.store.count(models.QuarantineItem, reason="invalid") == 1
    assert server.store.count(models.ResultVersion) == 0


def test_unknown_association_is_404(server):
    resp = server.patch(f"/associations/{UNKNOWN}", scored())
    assert resp.status_code == 404
    assert UNKNOWN in resp.json()["detail"]
    assert server.store.count(models.QuarantineItem, reason="unknown-association") == 1


def test_accept_unknown_answers_200_and_keeps_it_in_quarantine(serve):
    srv = serve(accept_unknown=True, config=ServerConfig(accept_unknown=True))
    resp = srv.patch(f"/associations/{UNKNOWN}", scored())
    assert resp.status_code == 200
    assert "quarantaine" in resp.json()["message"][0]["value"]
    assert srv.store.count(models.QuarantineItem, reason="unknown-association") == 1


def test_cancelled_association_still_gets_200(server):
    resp = server.patch(f"/associations/{CANCELED}", scored())
    assert resp.status_code == 200, resp.text
    assert server.store.count(models.ResultVersion, association_id=CANCELED) == 1


def test_duplicate_patch_is_one_version(server):
    token = server.token()
    first = server.patch(f"/associations/{ASSOCIATIONS[1]}", scored(), token=token)
    second = server.patch(f"/associations/{ASSOCIATIONS[1]}", scored(), token=token)
    assert first.status_code == second.status_code == 200
    assert "al ontvangen" in second.json()["message"][0]["value"]
    assert server.store.count(models.ResultVersion, association_id=ASSOCIATIONS[1]) == 1


def test_same_message_id_header_is_a_duplicate(server):
    token = server.token()
    for _ in range(2):
        resp = server.patch(
            f"/associations/{ASSOCIATIONS[2]}",
            attendance(),
            token=token,
            **{"X-OKE-Message-Id": "m-00000001"},
        )
        assert resp.status_code == 200
    assert server.store.count(models.ResultVersion, association_id=ASSOCIATIONS[2]) == 1


def test_attendance_then_score_are_two_versions_and_get_shows_the_latest(server):
    token = server.token()
    assert server.patch(f"/associations/{ASSOCIATIONS[3]}", attendance(), token=token).status_code == 200
    assert server.patch(f"/associations/{ASSOCIATIONS[3]}", scored(raw=33), token=token).status_code == 200
    assert server.store.count(models.ResultVersion, association_id=ASSOCIATIONS[3]) == 2
    got = server.http.get(f"/associations/{ASSOCIATIONS[3]}", headers=server.headers(token))
    assert got.status_code == 200
    view = got.json()
    assert view["associationId"] == ASSOCIATIONS[3]
    assert view["person"] == STUDENTS[3] and view["offering"] == OFFERING
    assert view["result"]["state"] == "completed"
    assert view["result"]["consumers"][0]["rawScore"] == 33


def test_get_unknown_association_is_404(server):
    resp = server.http.get(f"/associations/{UNKNOWN}", headers=server.headers())
    assert resp.status_code == 404
    assert resp.headers["content-type"] == "application/problem+json"


def test_offering_associations_are_paged(serve, planning_dir):
    extra = add_associations(planning_dir, 9)  # 15 deelnames: two pages of the profile's smallest size
    server = serve()
    token = server.token()
    page1 = server.http.get(
        f"/offerings/{OFFERING}/associations?pageSize=10", headers=server.headers(token)
    ).json()
    assert page1["pageNumber"] == 1 and page1["pageSize"] == 10
    assert page1["hasNextPage"] is True and page1["hasPreviousPage"] is False and page1["totalPages"] == 2
    page2 = server.http.get(
        f"/offerings/{OFFERING}/associations?pageSize=10&pageNumber=2", headers=server.headers(token)
    ).json()
    assert len(page2["items"]) == 5 and page2["hasNextPage"] is False
    ids = [a["associationId"] for a in page1["items"] + page2["items"]]
    assert sorted(ids) == sorted(ASSOCIATIONS + extra)
    canceled = server.http.get(
        f"/offerings/{OFFERING}/associations?state=canceled", headers=server.headers(token)
    ).json()
    assert [a["associationId"] for a in canceled["items"]] == [CANCELED]
    empty = server.http.get(f"/offerings/{OFFERING_EMPTY}/associations", headers=server.headers(token)).json()
    assert empty["items"] == [] and empty["hasNextPage"] is False
    assert (
        server.http.get(f"/offerings/{UNKNOWN}/associations", headers=server.headers(token)).status_code
        == 404
    )
    bad = server.http.get(f"/offerings/{OFFERING}/associations?pageSize=0", headers=server.headers(token))
    assert bad.status_code == 400 and "pageSize" in bad.json()["detail"]


def test_session_report_flow4(server):
    body = {
        "offeringType": "component",
        "consumers": [{"consumerKey": "nl-test-admin", "irregularities": "Brandalarm om 10:05, 12 minuten."}],
    }
    resp = server.patch(f"/offerings/{OFFERING}", body)
    assert resp.status_code == 200, resp.text
    assert server.store.count(models.SessionReport, offering_id=OFFERING) == 1


def test_service_metadata(server):
    resp = server.http.get("/")
    assert resp.status_code == 200
    meta = resp.json()
    assert {"contactEmail", "specification", "documentation"} <= meta.keys()
    assert meta["supportedVersions"] == ["v5"]
    assert meta["supportedConsumers"] == [{"consumerKey": "nl-test-admin", "version": "1.0.1"}]
    assert server.http.get(meta["specification"]).status_code == 200


def test_openapi_document_uses_project_schemas(server):
    doc = server.http.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    patch = doc["paths"]["/associations/{associationId}"]["patch"]
    assert patch["operationId"] == "partialUpdateAssociationById"  # taken from the profile
    schema = patch["requestBody"]["content"]["application/merge-patch+json"]["schema"]
    assert {"$ref": "#/components/schemas/Flow3AssociationPatch"} in schema["anyOf"]
    flow3 = doc["components"]["schemas"]["Flow3AssociationPatch"]
    on_disk = json.loads(Path("schemas/flow3-association-patch.schema.json").read_text(encoding="utf-8"))
    assert flow3["required"] == on_disk["required"]
    refs = json.dumps(doc)
    assert "oke-common.schema.json" not in refs  # every reference resolved inside the document
    scopes = doc["components"]["securitySchemes"]["oAuthFlows"]["flows"]["clientCredentials"]["scopes"]
    assert "nl-test-admin-flow-2-3-4" in scopes
    assert set(doc["paths"]) == {
        "/",
        "/associations/{associationId}",
        "/offerings/{offeringId}",
        "/offerings/{offeringId}/associations",
        "/documents/{documentId}",
        "/oauth/token",
    }


def test_body_over_the_limit_is_413(serve):
    srv = serve(config=ServerConfig(max_body=4096))
    body = scored()
    body["result"]["comment"] = "x" * 5000
    resp = srv.patch(f"/associations/{ASSOCIATIONS[0]}", body)
    assert resp.status_code == 413
    assert resp.headers["content-type"] == "application/problem+json"
    assert srv.store.count(models.ResultVersion) == 0


def test_unserved_method_is_405_problem(server):
    resp = server.http.delete(f"/associations/{ASSOCIATIONS[0]}")
    assert resp.status_code == 405
    assert resp.headers["content-type"] == "application/problem+json"
    assert "PATCH" in resp.headers["allow"]


def test_documents_are_served_only_when_held(serve, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    doc_id = "0b0f6a38-6b2b-4a57-9a3e-2d9c1f3a5e11"
    (folder / doc_id).write_bytes(b"%PDF-1.4 beoordelingsformulier")
    srv = serve(config=ServerConfig(documents_dir=folder))
    headers = srv.headers()
    got = srv.http.get(f"/documents/{doc_id}", headers=headers)
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.content.startswith(b"%PDF")
    assert srv.http.get("/documents/0b0f6a38-6b2b-4a57-9a3e-000000000000", headers=headers).status_code == 404
    assert srv.http.get("/documents/..%2F..%2Fetc%2Fpasswd", headers=headers).status_code == 404
    assert srv.http.get(f"/documents/{doc_id.upper()}", headers=headers).status_code == 200
    assert srv.http.get(f"/documents/{doc_id}").status_code == 401


def test_a_refused_message_sent_again_is_refused_again(server):
    token = server.token()
    broken = '{"associationType": "componentOfferingAssociation", "result": '
    first = server.patch(f"/associations/{ASSOCIATIONS[4]}", broken, token=token)
    again = server.patch(f"/associations/{ASSOCIATIONS[4]}", broken, token=token)
    assert first.status_code == again.status_code == 400
    assert again.json()["errors"] == first.json()["errors"]
    assert server.store.count(models.QuarantineItem) == 1  # recognised as a duplicate, not stored twice


def test_a_result_for_another_student_is_400_naming_the_person_first_time_and_again(server):
    """The body is valid; the planning refuses it. The answer says which field and why, both times."""
    token = server.token()
    body = scored() | {"person": {"personId": STUDENTS[1]}}
    first = server.patch(f"/associations/{ASSOCIATIONS[0]}", body, token=token)
    again = server.patch(f"/associations/{ASSOCIATIONS[0]}", body, token=token)
    assert first.status_code == again.status_code == 400
    errors = first.json()["errors"]
    assert [(e["pointer"], e["code"]) for e in errors] == [("/person", "wrong-student")]
    assert STUDENTS[1] in errors[0]["message"] and ASSOCIATIONS[0] in errors[0]["message"]
    assert "/person" in first.json()["detail"]
    assert again.json()["errors"] == errors
    assert server.store.count(models.QuarantineItem, reason="wrong-student") == 1
    assert server.store.count(models.ResultVersion) == 0


def _current_raw_score(server, association: str, token: str) -> int:
    got = server.http.get(f"/associations/{association}", headers=server.headers(token))
    assert got.status_code == 200, got.text
    return got.json()["result"]["consumers"][0]["rawScore"]


def test_correcting_back_to_the_first_result_without_message_ids_is_applied(server):
    # Real senders do not send X-OKE-Message-Id: A, B, A must end with A's grade, as a third version.
    token = server.token()
    target = f"/associations/{ASSOCIATIONS[1]}"
    answers = [server.patch(target, scored(raw=raw), token=token) for raw in (30, 20, 30)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert "verwerkt" in answers[2].json()["message"][0]["value"]
    assert _current_raw_score(server, ASSOCIATIONS[1], token) == 30
    assert server.store.count(models.ResultVersion, association_id=ASSOCIATIONS[1]) == 3


def test_current_result_sent_again_after_other_traffic_is_still_a_duplicate(server):
    # Not an immediate retry any more, but the body equals the version KRS holds: nothing changes.
    token = server.token()
    target = f"/associations/{ASSOCIATIONS[2]}"
    assert server.patch(target, scored(raw=30), token=token).status_code == 200
    assert server.patch(target, '{"broken": ', token=token).status_code == 400
    again = server.patch(target, scored(raw=30), token=token)
    assert again.status_code == 200
    assert "al ontvangen" in again.json()["message"][0]["value"]
    assert server.store.count(models.ResultVersion, association_id=ASSOCIATIONS[2]) == 1


def test_session_report_sent_twice_without_message_id_is_one_report(server):
    body = {
        "offeringType": "component",
        "consumers": [{"consumerKey": "nl-test-admin", "irregularities": "Stroomstoring van 5 minuten."}],
    }
    token = server.token()
    answers = [server.patch(f"/offerings/{OFFERING}", body, token=token) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    assert "al ontvangen" in answers[1].json()["message"][0]["value"]
    assert server.store.count(models.SessionReport, offering_id=OFFERING) == 1


def test_body_that_is_not_utf8_is_refused_not_altered(server):
    body = json.dumps(scored()).replace('"completed"', '"completed", "comment": "caf\\u00e9"')
    latin1 = body.replace("\\u00e9", "\u00e9").encode("latin-1")  # é as the single byte 0xe9
    resp = server.patch(f"/associations/{ASSOCIATIONS[0]}", latin1)
    assert resp.status_code == 400
    assert resp.headers["content-type"] == "application/problem+json"
    problem = resp.json()
    assert "not UTF-8" in problem["detail"]
    assert [e["code"] for e in problem["errors"]] == ["json-syntax"]
    assert problem["errors"][0]["column"] == latin1.decode("latin-1").index("\u00e9") + 1
    assert server.store.count(models.ResultVersion) == 0  # nothing stored with U+FFFD in it


def test_patch_without_content_type_is_415(server):
    headers = {"Authorization": f"Bearer {server.token()}"}
    resp = server.http.patch(
        f"/associations/{ASSOCIATIONS[0]}", content=json.dumps(scored()).encode(), headers=headers
    )
    assert resp.status_code == 415
    assert resp.headers["content-type"] == "application/problem+json"
    assert "application/merge-patch+json" in resp.json()["detail"]
    assert server.store.count(models.ResultVersion) == 0


def test_path_id_that_is_not_a_uuid_is_400_naming_the_parameter(serve, tmp_path):
    srv = serve(accept_unknown=True, config=ServerConfig(accept_unknown=True, documents_dir=tmp_path))
    token = srv.token()
    headers = srv.headers(token)
    answers = {
        "associationId": [
            srv.patch("/associations/not-a-uuid", scored(), token=token),
            srv.http.get("/associations/not-a-uuid", headers=headers),
        ],
        "offeringId": [
            srv.patch("/offerings/not-a-uuid", {"offeringType": "component"}, token=token),
            srv.http.get("/offerings/not-a-uuid/associations", headers=headers),
        ],
        "documentId": [srv.http.get("/documents/passwd", headers=headers)],
    }
    for name, responses in answers.items():
        for resp in responses:
            assert resp.status_code == 400, (name, resp.request.url, resp.text)
            assert resp.headers["content-type"] == "application/problem+json"
            assert name in resp.json()["detail"]
    assert srv.store.count(models.QuarantineItem) == 0  # refused at the door, not quarantined


def test_uppercase_uuid_in_the_path_finds_the_association(serve, planning_dir):
    (association,) = add_associations(planning_dir, 1)
    upper = association.upper()
    assert upper != association  # the id has hex letters
    server = serve()
    token = server.token()
    resp = server.patch(f"/associations/{upper}", scored(raw=33), token=token)
    assert resp.status_code == 200, resp.text
    assert server.store.count(models.ResultVersion, association_id=association) == 1
    got = server.http.get(f"/associations/{upper}", headers=server.headers(token))
    assert got.status_code == 200
    assert got.json()["associationId"] == association
    assert got.json()["result"]["consumers"][0]["rawScore"] == 33


def test_list_parameters_outside_the_profile_are_400(server):
    headers = server.headers()
    url = f"/offerings/{OFFERING}/associations"
    for query, name in (
        ("state=bogus", "state"),
        ("role=teacher", "role"),
        ("result-state=done", "result-state"),
        ("associationType=programOffering", "associationType"),
        ("sort=name", "sort"),
        ("pageSize=7", "pageSize"),
    ):
        resp = server.http.get(f"{url}?{query}", headers=headers)
        assert resp.status_code == 400, query
        assert resp.headers["content-type"] == "application/problem+json"
        assert name in resp.json()["detail"], query


def test_list_sort_and_association_type_are_applied(server):
    headers = server.headers()
    url = f"/offerings/{OFFERING}/associations"
    down = server.http.get(f"{url}?sort=-associationId", headers=headers).json()
    assert [a["associationId"] for a in down["items"]] == sorted(ASSOCIATIONS, reverse=True)
    up = server.http.get(f"{url}?sort=associationId&role=student", headers=headers).json()
    assert [a["associationId"] for a in up["items"]] == sorted(ASSOCIATIONS)
    course = server.http.get(f"{url}?associationType=courseOfferingAssociation", headers=headers).json()
    assert course["items"] == []
    component = server.http.get(f"{url}?associationType=componentOfferingAssociation", headers=headers)
    assert len(component.json()["items"]) == len(ASSOCIATIONS)


def test_served_document_describes_the_parameters_the_server_handles(server):
    doc = server.http.get("/openapi.json").json()
    listing = doc["paths"]["/offerings/{offeringId}/associations"]["get"]
    params = {p["name"]: p for p in listing["parameters"]}
    assert set(params) == {
        "offeringId",
        "pageSize",
        "pageNumber",
        "consumer",
        "associationType",
        "role",
        "state",
        "result-state",
        "sort",
    }
    assert params["pageSize"]["schema"]["enum"] == [10, 20, 50, 100, 250]
    single = doc["paths"]["/associations/{associationId}"]["get"]
    assert [p["name"] for p in single["parameters"]] == ["associationId"]  # expand is not served
    assert doc["paths"]["/documents/{documentId}"]["get"]["security"] == [
        {"oAuthFlows": ["nl-test-admin-flow-2-3-4"]}
    ]


def test_what_accept_unknown_kept_in_quarantine_is_applied_once_the_receiver_has_the_planning(
    serve, tmp_path
):
    db = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    blind = serve(planning=False, db=db, accept_unknown=True, config=ServerConfig(accept_unknown=True))
    resp = blind.patch(f"/associations/{ASSOCIATIONS[0]}", scored(raw=33))
    assert resp.status_code == 200 and "quarantaine" in resp.json()["message"][0]["value"]
    blind.thread.stop()
    assert blind.store.count(models.QuarantineItem, status="open") == 1
    planned = serve(db=db)  # restarted with --planning: the deelname is known now
    assert planned.store.count(models.QuarantineItem, status="released") == 1
    got = planned.http.get(f"/associations/{ASSOCIATIONS[0]}", headers=planned.headers(planned.token()))
    assert got.status_code == 200, got.text
    assert planned.store.count(models.ResultVersion, association_id=ASSOCIATIONS[0]) == 1


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_nul_in_the_url_or_body_is_answered_and_logged_on_either_backend(serve, backend):
    """%00 in a path and \\u0000 in a body: PostgreSQL text cannot hold U+0000 (a body with one
    failed the receiver's write there); both are answered 400, and the other requests are kept."""
    if backend == "postgresql" and pg_url() is None:
        pytest.skip("OKE_TEST_PG_URL not set")
    schema = "nul_" + uuid.uuid4().hex[:10]
    srv = serve(db=pg_url(), schema=schema) if backend == "postgresql" else serve()
    try:
        token = srv.token()
        odd = srv.http.patch(
            "/associations/abc%00def", content=json.dumps(scored()), headers=srv.headers(token)
        )
        assert odd.status_code == 400, odd.text
        body = scored()
        body["result"]["consumers"][0]["assessorCode"] = "JD\x00V"
        refused = srv.patch(f"/associations/{ASSOCIATIONS[0]}", body, token=token)
        assert refused.status_code == 400, refused.text
        assert [(e["pointer"], e["code"]) for e in refused.json()["errors"]] == [
            ("/result/consumers/0/assessorCode", "nul-character")
        ]
        assert srv.patch(f"/associations/{ASSOCIATIONS[1]}", scored(), token=token).status_code == 200
        srv.thread.stop()  # the writer drains: every row is stored
        assert srv.store.count(models.QuarantineItem, reason="invalid") == 1
        assert srv.store.count(models.ResultVersion) == 1
    finally:
        if backend == "postgresql":
            with srv.store.engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
