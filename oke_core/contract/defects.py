"""The defect catalogue (`conformance/defects.yaml`): known defects as JSON Patch mutations of a valid body.

Shared by the conformance tests and the simulator's fault injection, so both break bodies the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import jsonpatch
import yaml
from jsonschema import Draft202012Validator

from oke_core.contract.schemas import default_schema_dir


class DefectCatalogueError(Exception):
    """defects.yaml is unreadable or breaks its format; the message names file, pointer and rule."""


@dataclass(frozen=True)
class Defect:
    id: str
    flow: int
    shape: str
    description: str
    source: str
    patch: tuple[dict, ...]
    valid: bool
    errors: tuple[tuple[str, str], ...] = field(default=())  # (code, pointer)
    warnings: tuple[tuple[str, str], ...] = field(default=())
    method: str = "PATCH"

    def applies_to(self, flow: int, shape: str, method: str = "PATCH") -> bool:
        """`shape` is the shape of the valid body ("attendance" or "scored")."""
        return self.flow == flow and self.method == method and self.shape in ("any", shape)

    def apply(self, body: dict) -> dict:
        """A mutated deep copy of `body`; raises jsonpatch errors when the body lacks a patched path."""
        return jsonpatch.apply_patch(body, list(self.patch), in_place=False)


def default_catalogue() -> Path:
    return default_schema_dir().parent / "conformance" / "defects.yaml"


def load_defects(path: Path | None = None) -> list[Defect]:
    path = Path(path) if path is not None else default_catalogue()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DefectCatalogueError(f"{path}: cannot read: {exc}") from exc
    schema = json.loads((path.parent / "defects.schema.json").read_text(encoding="utf-8"))
    for error in Draft202012Validator(schema).iter_errors(data):
        pointer = "".join(f"/{p}" for p in error.absolute_path)
        raise DefectCatalogueError(f"{path}: {pointer or '/'}: {error.validator}: {error.message}")
    seen: set[str] = set()
    out: list[Defect] = []
    for n, item in enumerate(data):
        if item["id"] in seen:
            raise DefectCatalogueError(f"{path}: /{n}/id: unique: {item['id']!r} appears twice")
        seen.add(item["id"])
        expect = item["expect"]
        out.append(
            Defect(
                id=item["id"],
                flow=item["flow"],
                shape=item["shape"],
                description=item["description"],
                source=item["source"],
                patch=tuple(item["patch"]),
                valid=expect["valid"],
                errors=tuple((f["code"], f["pointer"]) for f in expect.get("errors", [])),
                warnings=tuple((f["code"], f["pointer"]) for f in expect.get("warnings", [])),
                method=item.get("method", "PATCH"),
            )
        )
    return out
