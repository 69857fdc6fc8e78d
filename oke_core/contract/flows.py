"""Which flow a message belongs to, from its HTTP method and path or else from its body."""

from __future__ import annotations

NL_TEST_ADMIN = "nl-test-admin"


def association_id_from_path(path: str | None) -> str | None:
    """The `{id}` of `/associations/{id}` or `/offerings/{id}`, or None."""
    if not path:
        return None
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    for i, part in enumerate(parts[:-1]):
        if part in ("associations", "offerings"):
            return parts[i + 1]
    return None


def _has_flow5_consumer(body: object) -> bool:
    consumers = body.get("consumers") if type(body) is dict else None
    if type(consumers) is not list:
        return False
    for item in consumers:
        if (
            isinstance(item, dict)
            and item.get("consumerKey") == NL_TEST_ADMIN
            and ("attempt" in item or "orgAssociationId" in item)
        ):
            return True
    return False


def _is_put(method: object) -> bool:
    if method == "PATCH" or method is None:  # the common cases first: no upper() per message
        return False
    return method == "PUT" or (isinstance(method, str) and method.upper() == "PUT")


def detect_flow(method: str | None, path: str | None, body: object) -> int:
    """INTERFACES.md 1: PATCH /offerings -> 4, PUT /associations -> 5, PATCH /associations -> 3 or 5."""
    if path:
        if "/offerings" in path:
            return 4
        if "/associations" in path:
            return 5 if _is_put(method) or _has_flow5_consumer(body) else 3
    if isinstance(body, dict) and "offeringType" in body:
        return 4
    return 5 if _is_put(method) or _has_flow5_consumer(body) else 3


def schema_method(flow: int, method: str | None, body: object) -> str:
    """PATCH or PUT schema; a bare flow-5 body carrying `associationId` is a PUT (PATCH never sends ids)."""
    if flow != 5:
        return "PATCH"
    if isinstance(method, str):
        return "PUT" if method.upper() == "PUT" else "PATCH"
    return "PUT" if isinstance(body, dict) and "associationId" in body else "PATCH"
