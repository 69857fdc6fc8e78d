"""The OpenAPI document of `oke serve`, derived from the OKE profile rather than written by hand.

Take the operations the mock serves from the official bundle (ooapiv5_MBO.yaml), replace their
request bodies by the project's own JSON Schemas (schemas/, the same ones `oke validate` uses),
and publish it as OpenAPI 3.1 because those schemas are JSON Schema 2020-12. The profile's
security scheme declares only a scope nobody uses; ours lists the scopes the operations need.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SCHEMAS = REPO_ROOT / "schemas"
# The served operations, extracted from the profile by `python -m oke.http.openapi PROFILE`
# (the bundle itself, CC0, is 6,400 lines with cyclic anchors; only these operations are needed).
EXTRACT = Path(__file__).with_name("ooapi_served.json")
_LARGE = 50_000  # profile response schemas above this size (the expandable Association) are replaced

# (path, method) -> the project's request schema files (anyOf when several flows share a route).
SERVED: dict[tuple[str, str], tuple[str, ...]] = {
    ("/", "get"): (),
    ("/associations/{associationId}", "get"): (),
    ("/associations/{associationId}", "patch"): (
        "flow3-association-patch.schema.json",
        "flow5-association-patch.schema.json",
    ),
    ("/offerings/{offeringId}", "patch"): ("flow4-offering-patch.schema.json",),
    ("/offerings/{offeringId}/associations", "get"): (),
    ("/documents/{documentId}", "get"): (),
}
SCOPES = {
    "nl-test-admin-flow-2-3-4": "Flows 2, 3 and 4: test planning <-> test administration",
    "nl-test-admin-flow-1-5": "Flows 1 and 5: participant registration (KRS) <-> test planning",
}
# The document describes what the server does, so where the mock does less than the profile, the
# profile's text is narrowed here (and tests/http hold the server to every remaining parameter).
# `expand` would need the person and offering objects, which a Toetsplanning mock does not hold.
UNSERVED_PARAMETERS: dict[tuple[str, str], tuple[str, ...]] = {
    ("/associations/{associationId}", "get"): ("expand",),
}
PARAMETER_NOTES: dict[tuple[str, str, str], str] = {
    ("/offerings/{offeringId}/associations", "get", "consumer"): (
        "Accepted and not used: the answer always carries the nl-test-admin consumer data."
    ),
    ("/offerings/{offeringId}/associations", "get", "sort"): (
        "associationId (ascending, the default) or -associationId (descending)."
    ),
}
_TAGS = ("service metadata", "associations", "offerings", "documents")
PATCH_MEDIA = ("application/merge-patch+json", "application/json")


def _schema_name(filename: str) -> str:
    """flow3-association-patch.schema.json -> Flow3AssociationPatch."""
    stem = filename.removesuffix(".schema.json")
    return "".join(part[:1].upper() + part[1:] for part in stem.split("-"))


def _rewrite_refs(node: Any, own_file: str, names: dict[tuple[str, str], str]) -> Any:
    """Point file-relative `$ref`s at components/schemas and drop `$id`/`$schema` (they would rebase refs)."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ("$id", "$schema", "$defs"):
                continue
            if key == "$ref" and isinstance(value, str):
                target_file, _, fragment = value.partition("#")
                target_file = target_file or own_file
                if fragment.startswith("/$defs/"):
                    out[key] = "#/components/schemas/" + names[(target_file, fragment[len("/$defs/") :])]
                elif fragment in ("", "/"):
                    out[key] = "#/components/schemas/" + _schema_name(target_file)
                else:
                    raise ValueError(f"{own_file}: unsupported $ref {value!r}")
                continue
            out[key] = _rewrite_refs(value, own_file, names)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, own_file, names) for v in node]
    return node


def project_schemas(schema_dir: Path) -> dict[str, Any]:
    """Every schema file and every `$defs` entry as an OpenAPI component, refs rewritten."""
    files = {
        p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(schema_dir.glob("*.schema.json"))
    }
    names: dict[tuple[str, str], str] = {}
    taken: set[str] = {_schema_name(f) for f in files}
    for filename, doc in files.items():
        for def_name in doc.get("$defs", {}):
            name = def_name if def_name not in taken else f"{_schema_name(filename)}.{def_name}"
            taken.add(name)
            names[(filename, def_name)] = name
    components: dict[str, Any] = {}
    for filename, doc in files.items():
        components[_schema_name(filename)] = _rewrite_refs(doc, filename, names)
        for def_name, sub in doc.get("$defs", {}).items():
            components[names[(filename, def_name)]] = _rewrite_refs(sub, filename, names)
    return components


def _to_31(node: Any) -> Any:
    """OpenAPI 3.0 schema idioms -> 3.1 (JSON Schema): `nullable` becomes a null type."""
    if isinstance(node, dict):
        out = {k: _to_31(v) for k, v in node.items() if k != "nullable"}
        if node.get("nullable") is True and isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        return out
    if isinstance(node, list):
        return [_to_31(v) for v in node]
    return node


def _problem_response(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _acyclic(node: Any, stack: tuple = ()) -> Any:
    if isinstance(node, dict | list):
        if any(node is s for s in stack):
            return {"description": "recursive structure, see the OOAPI profile"}
        inner = (*stack, node)
        if isinstance(node, dict):
            return {k: _acyclic(v, inner) for k, v in node.items()}
        return [_acyclic(v, inner) for v in node]
    return node


def extract_profile(profile: Path) -> dict:
    """The served operations of the bundle, anchors resolved, giant response schemas left out."""
    bundle = yaml.safe_load(profile.read_text(encoding="utf-8"))
    operations: dict[str, dict] = {}
    for path, method in SERVED:
        op = _acyclic(bundle["paths"][path][method])
        for media in op.get("requestBody", {}).get("content", {}).values():
            media["schema"] = {"x-oke-replaced": True}  # the project's schemas take its place
        for response in op.get("responses", {}).values():
            for media in response.get("content", {}).values():
                if len(json.dumps(media.get("schema", {}))) > _LARGE:
                    media["schema"] = {"x-oke-replaced": True}
        operations.setdefault(path, {})[method] = op
    return {
        "source": "NED-OOAPI ooapiv5_MBO.yaml " + _source_commit(profile),
        "tags": [t for t in bundle.get("tags", []) if t["name"] in _TAGS],
        "paths": operations,
    }


def build_openapi(extract: Path = EXTRACT, schema_dir: Path = DEFAULT_SCHEMAS) -> dict:
    bundle = json.loads(extract.read_text(encoding="utf-8"))
    components = project_schemas(schema_dir)
    components.update(_view_schemas())
    components["Problem"] = {
        "type": "object",
        "description": "Error body of the OKE profile (Problem.yaml); `errors` lists each pointer and rule.",
        "required": ["status", "title"],
        "properties": {
            "status": {"type": "string", "description": "The HTTP status code", "example": "404"},
            "title": {"type": "string"},
            "detail": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["pointer", "code", "message"],
                    "properties": {
                        "pointer": {"type": "string", "description": "RFC 6901 JSON pointer into the body"},
                        "code": {"type": "string", "description": "rule code, as `oke validate` reports it"},
                        "message": {"type": "string"},
                        "line": {"type": "integer"},
                        "column": {"type": "integer"},
                    },
                },
            },
        },
    }
    paths: dict[str, dict] = {}
    for (path, method), schema_files in SERVED.items():
        op = _to_31(copy.deepcopy(bundle["paths"][path][method]))
        if "security" in op:
            scopes = [s for req in op["security"] for s in req.get("oAuthFlows", ())]
            # one requirement per scope: any one of them will do (a list in one would mean all)
            op["security"] = [{"oAuthFlows": [s]} for s in scopes if s in SCOPES]
        if "parameters" in op:
            unserved = UNSERVED_PARAMETERS.get((path, method), ())
            op["parameters"] = [p for p in op["parameters"] if p.get("name") not in unserved]
            for param in op["parameters"]:
                note = PARAMETER_NOTES.get((path, method, param.get("name", "")))
                if note:
                    param["description"] = note
        for code, response in list(op.get("responses", {}).items()):
            if "application/problem+json" in response.get("content", {}):
                op["responses"][code] = _problem_response(response.get("description", ""))
        for response in op.get("responses", {}).values():
            for media in response.get("content", {}).values():
                if media.get("schema", {}).get("x-oke-replaced"):
                    media["schema"] = {"$ref": "#/components/schemas/" + _REPLACEMENT[(path, method)]}
        if method == "patch":
            refs = [{"$ref": f"#/components/schemas/{_schema_name(f)}"} for f in schema_files]
            schema = refs[0] if len(refs) == 1 else {"anyOf": refs}
            examples = op["requestBody"]["content"]["application/merge-patch+json"].get("examples", {})
            op["requestBody"] = {
                "required": True,
                "content": {m: {"schema": schema, "examples": examples} for m in PATCH_MEDIA},
            }
            # The profile defines only 200 and 400 for PATCH; the mock also answers these.
            op["responses"].setdefault("401", _problem_response("Unauthorized"))
            op["responses"].setdefault("403", _problem_response("Forbidden"))
            op["responses"].setdefault(
                "404", _problem_response("Not Found (unknown association or offering)")
            )
            op["responses"]["413"] = _problem_response("Request body too large")
            op["responses"]["415"] = _problem_response("Unsupported media type")
            op["responses"].setdefault("503", _problem_response("Busy; retry after the Retry-After seconds"))
        paths.setdefault(path, {})[method] = op
    paths["/oauth/token"] = {"post": _token_operation()}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OKE rehearsal: mock Toetsplanning/KRS receiver",
            "version": "1.0.1",
            "description": (
                "The receiving side of OKE MBO-toetsafname v1.0.1 flows 3 and 4, derived from the OOAPI v5 "
                "MBO bundle (" + bundle["source"] + "). Request bodies are the project's "
                "JSON Schemas; `oke validate` applies the same rules."
            ),
        },
        "servers": [{"url": "/"}],
        "tags": bundle["tags"],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "oAuthFlows": {
                    "type": "oauth2",
                    "description": "OAuth2 client credentials (RFC 6749 section 4.4)",
                    "flows": {"clientCredentials": {"tokenUrl": "/oauth/token", "scopes": SCOPES}},
                }
            },
        },
    }


def _token_operation() -> dict:
    token_error = {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
    }
    return {
        "summary": "POST /oauth/token",
        "operationId": "requestToken",
        "description": "OAuth2 client credentials (RFC 6749 section 4.4), by HTTP Basic or in the form.",
        "tags": ["service metadata"],
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["grant_type"],
                        "properties": {
                            "grant_type": {"type": "string", "enum": ["client_credentials"]},
                            "scope": {"type": "string"},
                            "client_id": {"type": "string"},
                            "client_secret": {"type": "string"},
                        },
                    }
                }
            },
        },
        "responses": {
            "200": {
                "description": "Access token",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["access_token", "token_type", "expires_in"],
                            "properties": {
                                "access_token": {"type": "string"},
                                "token_type": {"type": "string", "enum": ["Bearer"]},
                                "expires_in": {"type": "integer"},
                                "scope": {"type": "string"},
                            },
                        }
                    }
                },
            },
            "400": {
                "description": "Invalid request",
                "content": {"application/json": {"schema": token_error}},
            },
            "401": {
                "description": "Invalid client",
                "content": {"application/json": {"schema": token_error}},
            },
            "413": _problem_response("Request body too large"),
        },
    }


def _source_commit(profile: Path) -> str:
    marker = profile.parent / "SOURCE-COMMIT"
    try:
        return marker.read_text(encoding="utf-8").split()[0][:7]
    except (OSError, IndexError):
        return "unknown commit"


_REPLACEMENT = {
    ("/associations/{associationId}", "get"): "AssociationView",
    ("/offerings/{offeringId}/associations", "get"): "AssociationPage",
}


def _view_schemas() -> dict[str, Any]:
    """What the mock returns for the GETs: the planned deelname plus the last result it accepted."""
    uuid = {"type": "string", "format": "uuid"}
    return {
        "AssociationView": {
            "type": "object",
            "description": "A deelname (ComponentOfferingAssociation) as this receiver holds it.",
            "required": ["associationId", "associationType", "role", "state"],
            "properties": {
                "associationId": uuid,
                "associationType": {"const": "componentOfferingAssociation"},
                "role": {"enum": ["student"]},
                "state": {"enum": ["associated", "canceled", "finished"]},
                "person": uuid,
                "offering": uuid,
                "result": {"type": "object", "description": "The last accepted result (flow 3 or 5)"},
            },
        },
        "AssociationPage": {
            "type": "object",
            "description": "Paging envelope (Pagination.yaml, PDF Tabel 5.0.C).",
            "required": ["pageSize", "pageNumber", "hasPreviousPage", "hasNextPage", "items"],
            "properties": {
                "pageSize": {"type": "integer"},
                "pageNumber": {"type": "integer", "minimum": 1},
                "hasPreviousPage": {"type": "boolean"},
                "hasNextPage": {"type": "boolean"},
                "totalPages": {"type": "integer"},
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/AssociationView"}},
            },
        },
    }


@lru_cache(maxsize=4)
def cached_openapi(extract: Path = EXTRACT, schema_dir: Path = DEFAULT_SCHEMAS) -> dict:
    return build_openapi(extract, schema_dir)


if __name__ == "__main__":
    import sys

    source = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/reference/ooapi-oke/ooapiv5_MBO.yaml")
    EXTRACT.write_text(
        json.dumps(extract_profile(source), indent=1, sort_keys=True, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {EXTRACT}")
