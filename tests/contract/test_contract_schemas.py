"""The schemas themselves: valid draft 2020-12, documented, and selecting only the nl-test-admin consumer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from oke_core.contract import Contract, SchemaLoadError
from oke_core.contract.schemas import walk_schema

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.schema.json")), ids=lambda p: p.name)
def test_schema_is_documented_2020_12(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(doc)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["$id"].endswith(path.name)
    assert doc["title"] and doc["description"]


def test_every_field_has_a_description(contract: Contract) -> None:
    for key in contract.schemas.roots:
        missing: list[str] = []

        def visit(node: dict, pointer: str, missing: list[str] = missing) -> None:
            for name, sub in (node.get("properties") or {}).items():
                if (
                    name != "consumerKey"
                    and isinstance(sub, dict)
                    and "description" not in sub
                    and "$ref" not in sub
                ):
                    missing.append(f"{pointer}/{name}")

        walk_schema(contract.schemas, key, visit)
        assert missing == [], key
        assert all(
            contract.descriptions(*key).get(p) for p in ("/result/consumers/*/attendance",) if key[0] != 4
        )


def test_readme_records_the_choices() -> None:
    text = (SCHEMAS / "README.md").read_text(encoding="utf-8")
    for topic in (
        "weight",
        "testDate",
        "executedOfferingName",
        "documentId",
        "sessionReport",
        "null",
        "orgAssociationId",
        "irregularities",
        "consumerKey",
    ):
        assert topic in text


def test_other_consumers_are_not_judged(contract: Contract) -> None:
    body = {
        "associationType": "componentOfferingAssociation",
        "result": {
            "state": "in progress",
            "resultDate": "2026-09-14",
            "consumers": [
                {"consumerKey": "someone-else", "attendance": "hier", "final": "ja"},
                {"consumerKey": "nl-test-admin", "attendance": "present"},
            ],
        },
    }
    assert contract.check(body, 3).valid
    body["result"]["consumers"][1]["attendance"] = "hier"
    assert [(e.code, e.pointer) for e in contract.check(body, 3).errors] == [
        ("schema.enum", "/result/consumers/1/attendance")
    ]


def test_missing_schema_dir_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SchemaLoadError, match="no \\*.schema.json files"):
        Contract.load(tmp_path)
    (tmp_path / "flow3-association-patch.schema.json").write_text("{\n  broken")
    with pytest.raises(SchemaLoadError, match=r"flow3-association-patch.schema.json:2:3: not valid JSON"):
        Contract.load(tmp_path)
