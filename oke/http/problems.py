"""RFC 7807 problem documents, the error format the OKE profile prescribes (Problem.yaml)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from starlette.responses import Response

PROBLEM_TYPE = "application/problem+json"

TITLES: dict[int, str] = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method not allowed",
    413: "Payload too large",
    415: "Unsupported media type",
    429: "Too many requests",
    500: "Internal Server Error",
    503: "Service unavailable",
}


def problem_body(
    status: int, detail: str, *, title: str | None = None, errors: Iterable[Mapping] = ()
) -> dict:
    """The body: `status` is a string as in the profile's example ('404'); `errors` is our extension."""
    body: dict[str, Any] = {
        "status": str(status),
        "title": title or TITLES.get(status, "Error"),
        "detail": detail,
    }
    errs = [dict(e) for e in errors]
    if errs:
        body["errors"] = errs
    return body


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: Iterable[Mapping] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    content = orjson.dumps(
        problem_body(status, detail, title=title, errors=errors), option=orjson.OPT_SORT_KEYS
    )
    return Response(content, status_code=status, media_type=PROBLEM_TYPE, headers=dict(headers or {}))


def json_response(data: object, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """Sorted keys so that the same state always gives the same bytes."""
    return Response(
        orjson.dumps(data, option=orjson.OPT_SORT_KEYS),
        status_code=status,
        media_type="application/json",
        headers=dict(headers or {}),
    )
