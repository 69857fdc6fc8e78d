"""conformance/defects.yaml: each defect on a generated valid body gives the expected code and pointer."""

from __future__ import annotations

from pathlib import Path

import pytest
from contract_bodies import flow3_body, flow4_body, flow5_body
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oke_core.contract import Contract
from oke_core.contract.defects import DefectCatalogueError, load_defects

DEFECTS = load_defects()


def _body_strategy(flow: int, shape: str, method: str) -> st.SearchStrategy[dict]:
    shape_arg = None if shape == "any" else shape
    if flow == 3:
        return flow3_body(shape=shape_arg)
    if flow == 4:
        return flow4_body()
    return flow5_body(shape=shape_arg, put=method == "PUT")


def test_catalogue_covers_the_published_defects() -> None:
    assert len(DEFECTS) >= 25
    ids = {d.id for d in DEFECTS}
    assert {
        "weight-missing",
        "test-date-date-only",
        "document-id-integer",
        "consumer-key-uppercase",
        "executed-offering-name-missing",
        "org-association-id-not-uuid",
        "put-person-not-uuid",
    } <= ids
    assert {d.flow for d in DEFECTS} == {3, 4, 5}


@pytest.mark.parametrize("defect", DEFECTS, ids=[d.id for d in DEFECTS])
def test_defect_on_generated_body(contract: Contract, defect) -> None:
    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(body=_body_strategy(defect.flow, defect.shape, defect.method))
    def check(body: dict) -> None:
        assert contract.check(body, defect.flow, method=defect.method).valid
        broken = defect.apply(body)
        verdict = contract.check(broken, defect.flow, method=defect.method)
        assert verdict.valid == defect.valid
        errors = {(e.code, e.pointer) for e in verdict.errors}
        warnings = {(w.code, w.pointer) for w in verdict.warnings}
        assert set(defect.errors) <= errors
        assert set(defect.warnings) <= warnings
        assert body != broken

    check()


def test_catalogue_errors_name_the_pointer(tmp_path: Path) -> None:
    bad = tmp_path / "defects.yaml"
    bad.write_text(
        "- id: Bad_Id\n  flow: 3\n  shape: any\n  description: x\n  source: y\n"
        "  patch: [{op: remove, path: /a}]\n  expect: {valid: false}\n"
    )
    (tmp_path / "defects.schema.json").write_bytes(
        (Path(__file__).resolve().parents[2] / "conformance" / "defects.schema.json").read_bytes()
    )
    with pytest.raises(DefectCatalogueError, match=r"defects.yaml: /0/id: pattern"):
        load_defects(bad)
