"""Property-based: generated valid bodies validate; one broken required field or enum fails at its pointer."""

from __future__ import annotations

import copy

from contract_bodies import ENUMS, REQUIRED, flow3_body, flow4_body, flow5_body
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oke_core.contract import Contract
from oke_core.contract.scores import score_fits

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
KINDS = st.sampled_from(["flow3", "flow4", "flow5", "flow5-put"])


@st.composite
def any_body(draw) -> tuple[str, int, str, dict]:
    kind = draw(KINDS)
    if kind == "flow3":
        return kind, 3, "PATCH", draw(flow3_body())
    if kind == "flow4":
        return kind, 4, "PATCH", draw(flow4_body())
    if kind == "flow5":
        return kind, 5, "PATCH", draw(flow5_body())
    return kind, 5, "PUT", draw(flow5_body(put=True))


def _parent(pointer: str) -> str:
    return pointer.rsplit("/", 1)[0]


def _remove(body: dict, pointer: str) -> bool:
    *parents, last = pointer.split("/")[1:]
    node: object = body
    for token in parents:
        node = node[int(token)] if isinstance(node, list) else node.get(token)  # type: ignore[union-attr]
        if node is None:
            return False
    if isinstance(node, dict) and last in node:
        del node[last]
        return True
    return False


def _set(body: dict, pointer: str, value: object) -> None:
    *parents, last = pointer.split("/")[1:]
    node: object = body
    for token in parents:
        node = node[int(token)] if isinstance(node, list) else node[token]  # type: ignore[index]
    node[last] = value  # type: ignore[index]


@SETTINGS
@given(case=any_body())
def test_generated_valid_bodies_validate(contract: Contract, case: tuple) -> None:
    kind, flow, method, body = case
    verdict = contract.check(body, flow, method=method)
    assert verdict.errors == [], (kind, verdict.errors)
    assert verdict.warnings == []
    assert contract.schema_valid(body, flow, method, fast=False)


@SETTINGS
@given(case=any_body(), data=st.data())
def test_removing_a_required_field_fails_at_its_parent(contract: Contract, case: tuple, data) -> None:
    kind, flow, method, body = case
    pointers = REQUIRED["flow3" if kind == "flow3" else kind] + (
        REQUIRED["flow5"] if kind == "flow5-put" else []
    )
    if kind in ("flow3", "flow5") and body["result"].get("score") is not None:
        pointers = pointers + REQUIRED["flow3-scored"]
    pointer = data.draw(st.sampled_from(pointers))
    broken = copy.deepcopy(body)
    assert _remove(broken, pointer), pointer
    verdict = contract.check(broken, flow, method=method)
    assert not verdict.valid
    assert ("schema.required", _parent(pointer)) in [(e.code, e.pointer) for e in verdict.errors]
    assert any(repr(pointer.rsplit("/", 1)[1]) in e.message for e in verdict.errors)
    assert not contract.schema_valid(broken, flow, method)


@SETTINGS
@given(case=any_body(), data=st.data())
def test_a_value_outside_an_enum_fails_at_its_pointer(contract: Contract, case: tuple, data) -> None:
    kind, flow, method, body = case
    enums = dict(ENUMS["flow3"]) if kind != "flow4" else {}
    enums.update(ENUMS.get(kind, {}))
    if kind == "flow5-put":
        enums.update(ENUMS["flow5-put"])
    pointer = data.draw(st.sampled_from(sorted(enums)))
    value = data.draw(st.text(min_size=1, max_size=12).filter(lambda v: v not in enums[pointer]))
    broken = copy.deepcopy(body)
    _set(broken, pointer, value)
    verdict = contract.check(broken, flow, method=method)
    assert ("schema.enum", pointer) in [(e.code, e.pointer) for e in verdict.errors]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 500) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
LEAF_POINTERS = [
    "/result/weight",
    "/result/score",
    "/result/resultDate",
    "/result/consumers/0/testDate",
    "/result/consumers/0/rawScore",
    "/result/consumers/0/final",
    "/result/pass",
    "/result/state",
    "/result/consumers/0/documents",
    "/associationType",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=flow3_body(),
    pointer=st.sampled_from(LEAF_POINTERS),
    value=JSON_VALUES
    | st.sampled_from(
        [
            "2026-02-30",
            "2026-09-14T25:00:00Z",
            "2026-09-14T10:00:00",
            "2026-09-14t10:00:00z",
            "20260914",
            "2026-09-14T10:00:00+0200",
            "6F1C2D3E-4A5B-4C6D-8E9F-0A1B2C3D4E5F",
            "7.5",
            100,
            101,
            True,
        ]
    ),
)
def test_fast_and_readable_validators_agree(
    contract: Contract, body: dict, pointer: str, value: object
) -> None:
    """The compiled fast path must never pass a body the readable validator rejects (or the reverse)."""
    _set(body, pointer, value)
    fast = contract.schema_valid(body, 3)
    slow = contract.schema_valid(body, 3, fast=False)
    assert fast == slow, (pointer, value)
    assert contract.check(body, 3).valid == (slow and contract.check(body, 3).valid)


@given(st.integers(0, 100))
def test_integer_scores(n: int) -> None:
    assert score_fits(str(n), "0-100")
    assert score_fits(str(n), "0-10") == (n <= 10)


@given(st.decimals(min_value=0, max_value=20, places=1))
def test_decimal_scores(d) -> None:
    assert score_fits(str(d), "0.0-10.0") == (d <= 10)
    assert score_fits(str(d).replace(".", ","), "0.0-10.0") == (d <= 10)
