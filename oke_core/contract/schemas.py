"""Find, load and cross-link the JSON Schemas in `schemas/`, the single source of the message contract."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urldefrag, urljoin

# (flow, method) -> schema file. Flow 5 has a PATCH (original enrolment) and a PUT (extra attempt).
SCHEMA_FILES: dict[tuple[int, str], str] = {
    (3, "PATCH"): "flow3-association-patch.schema.json",
    (4, "PATCH"): "flow4-offering-patch.schema.json",
    (5, "PATCH"): "flow5-association-patch.schema.json",
    (5, "PUT"): "flow5-association-put.schema.json",
}
COMMON_FILE = "oke-common.schema.json"


class SchemaLoadError(Exception):
    """The schema directory is missing a file or holds a broken schema; names file and reason."""


def default_schema_dir() -> Path:
    """`$OKE_SCHEMA_DIR`, else the repository's `schemas/` next to the `oke_core` package."""
    env = os.environ.get("OKE_SCHEMA_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "schemas"


@dataclass(frozen=True)
class SchemaSet:
    """All schema documents by `$id`, plus the root document of each (flow, method)."""

    documents: dict[str, dict]
    roots: dict[tuple[int, str], str]
    directory: Path


def load_schema_set(schema_dir: Path | None = None) -> SchemaSet:
    directory = Path(schema_dir) if schema_dir is not None else default_schema_dir()
    documents: dict[str, dict] = {}
    paths = sorted(directory.glob("*.schema.json"))
    if not paths:
        raise SchemaLoadError(f"{directory}: no *.schema.json files found")
    for path in paths:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise SchemaLoadError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("$id"), str):
            raise SchemaLoadError(f"{path}: a schema must be an object with a string $id")
        documents[doc["$id"]] = doc
    by_file = {Path(urldefrag(i).url).name: i for i in documents}
    roots: dict[tuple[int, str], str] = {}
    for key, name in SCHEMA_FILES.items():
        if name not in by_file:
            raise SchemaLoadError(f"{directory / name}: schema file missing")
        roots[key] = by_file[name]
    if COMMON_FILE not in by_file:
        raise SchemaLoadError(f"{directory / COMMON_FILE}: schema file missing")
    return SchemaSet(documents=documents, roots=roots, directory=directory)


def _resolve(documents: dict[str, dict], base: str, ref: str) -> tuple[str, object]:
    target = urljoin(base, ref)
    doc_id, fragment = urldefrag(target)
    node: object = documents[doc_id]
    for token in [t for t in fragment.split("/") if t]:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[token]  # type: ignore[index]
    return doc_id, node


def walk_schema(schemas: SchemaSet, key: tuple[int, str], visit: Callable[[dict, str], None]) -> None:
    """Call `visit(node, pattern)` for every subschema reachable through properties/items/allOf/then/$ref.

    `pattern` is the instance pointer the node applies to, array indices written as `*`.
    """
    seen: set[tuple[int, str]] = set()

    def walk(node: object, base: str, pointer: str) -> None:
        if not isinstance(node, dict) or (id(node), pointer) in seen:
            return
        seen.add((id(node), pointer))
        visit(node, pointer)
        for name, sub in (node.get("properties") or {}).items():
            walk(sub, base, f"{pointer}/{name}")
        if "items" in node:
            walk(node["items"], base, f"{pointer}/*")
        for keyword in ("allOf", "anyOf", "oneOf"):
            for sub in node.get(keyword, []):
                walk(sub, base, pointer)
        if "then" in node:
            walk(node["then"], base, pointer)
        if "$ref" in node:
            doc_id, target = _resolve(schemas.documents, base, node["$ref"])
            walk(target, doc_id, pointer)

    root_id = schemas.roots[key]
    walk(schemas.documents[root_id], root_id, "")


def field_descriptions(schemas: SchemaSet, key: tuple[int, str]) -> dict[str, str]:
    """Map a pointer pattern (array indices as `*`) to the field's description, the most specific first.

    Built once per schema, so that explanations are generated from the schemas rather than written twice.
    """
    out: dict[str, str] = {}

    def visit(node: dict, pointer: str) -> None:
        desc = node.get("description")
        if isinstance(desc, str) and pointer not in out:
            out[pointer] = " ".join(desc.split())

    walk_schema(schemas, key, visit)
    return out
