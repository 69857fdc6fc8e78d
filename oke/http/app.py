"""The ASGI app of `oke serve`: the receiving side of OKE flows 3 and 4 as a Toetsplanning/KRS.

Handlers stay thin: authenticate, read the body within the size limit, wrap it in an envelope and
hand it to the core's single ingest path through the group-commit writer. What the core decides
(applied, duplicate, quarantined with a reason) is mapped to the HTTP answer the profile asks for.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys
from collections.abc import Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from oke.http.answers import Answer, ServerConfig
from oke.http.clients import FLOW_234_SCOPE
from oke.http.oauth import BearerError, OAuthError, TokenIssuer, insufficient_scope
from oke.http.problems import json_response, problem
from oke.http.writer import GroupCommitWriter, Item, Job, Overloaded, Result
from oke_core.contract import detect_flow, parse_body

log = logging.getLogger("oke.http")

FLOW_15_SCOPE = "nl-test-admin-flow-1-5"
READ_SCOPES = (FLOW_234_SCOPE, FLOW_15_SCOPE)
PATCH_MEDIA_TYPES = ("application/merge-patch+json", "application/json")
MESSAGE_ID_HEADER = "x-oke-message-id"
SENT_AT_HEADER = "x-oke-sent-at"
_MESSAGE_ID_RE = re.compile(r"^[!-~]{1,128}$")
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
OKE_VERSION = "1.0.1"


class Reader(Protocol):
    """The read side the GET handlers need (writes go through the writer's batch function)."""

    def association(self, association_id: str) -> dict | None: ...
    def offering_associations(self, offering_id: str) -> list[dict] | None: ...


class BodyTooLarge(Exception):
    pass


def _now() -> datetime:
    return datetime.now(UTC)


def _rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _answer_response(answer: Answer) -> Response:
    if answer.problem:
        return problem(answer.status, answer.body["detail"], errors=answer.body.get("errors", ()))
    return json_response(answer.body, answer.status)


class OkeApp:
    """Holds the shared state (issuer, writer, backend) and the route handlers."""

    def __init__(
        self,
        reader: Reader,
        process_batch: Callable[[list[Item]], list[Result]],
        issuer: TokenIssuer,
        config: ServerConfig,
        openapi: dict,
        on_close: Callable[[], None] = lambda: None,
        backend: Any = None,
    ) -> None:
        self.reader = reader
        self.store: Any = None  # the store the server writes to (set by build_app; tests count rows in it)
        self.backend = backend  # the in-thread core (writer="thread"), for tests and tools; else None
        self.issuer = issuer
        self.config = config
        self._on_close = on_close
        self._openapi_bytes = orjson.dumps(openapi, option=orjson.OPT_SORT_KEYS)
        self.writer = GroupCommitWriter(process_batch, max_batch=config.max_batch, max_wait=config.max_wait)

    # -- helpers ---------------------------------------------------------------------------------

    def _row(self, request: Request, at: datetime, **kw: Any) -> dict:
        row = {
            "at": _rfc3339(at),
            "method": request.method,
            "path": request.scope["path"],
            "client_id": None,
            "status": 200,
            "outcome": "served",
            "reason": None,
            "message_id": None,
            "association_id": None,
            "flow": None,
            "version": None,
            "problems": [],
        }
        row.update(kw)
        return row

    def _log_only(self, row: dict) -> None:
        try:
            self.writer.submit(Job(None, None, row))
        except Overloaded:
            log.warning("request log queue full; dropped a log row for %s %s", row["method"], row["path"])

    def _refuse(
        self, request: Request, at: datetime, status: int, detail: str, reason: str, **kw: Any
    ) -> Response:
        headers = kw.pop("headers", None)
        errors = kw.pop("errors", ())
        self._log_only(self._row(request, at, status=status, outcome="refused", reason=reason, **kw))
        return problem(status, detail, errors=errors, headers=headers)

    def _auth(self, request: Request, at: datetime, *scopes: str) -> tuple[Any, Response | None]:
        try:
            return self.issuer.check(request.headers.get("authorization"), *scopes), None
        except BearerError as exc:
            reason = "auth." + (exc.error or "missing-token").replace("_", "-")
            return None, self._refuse(
                request, at, exc.status, exc.detail, reason, headers={"WWW-Authenticate": exc.challenge}
            )

    async def _read_body(self, request: Request) -> bytes:
        limit = self.config.max_body
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise BodyTooLarge()
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge()
            chunks.append(chunk)
        return b"".join(chunks)

    # -- routes ----------------------------------------------------------------------------------

    async def metadata(self, request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        return json_response(
            {
                "contactEmail": self.config.contact_email,
                "specification": f"{base}/openapi.json",
                "documentation": self.config.documentation,
                "supportedVersions": ["v5"],
                "supportedConsumers": [{"consumerKey": "nl-test-admin", "version": OKE_VERSION}],
            }
        )

    async def openapi(self, request: Request) -> Response:
        return Response(self._openapi_bytes, media_type="application/json")

    async def token(self, request: Request) -> Response:
        at = _now()
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            self._log_only(
                self._row(request, at, status=400, outcome="refused", reason="oauth.invalid-request")
            )
            return json_response(
                {
                    "error": "invalid_request",
                    "error_description": "the token request must be application/x-www-form-urlencoded",
                },
                400,
                headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
            )
        try:
            body = await self._read_body(request)
        except BodyTooLarge:
            return self._refuse(request, at, 413, "token request too large", "size-limit")
        form = _parse_form(body)
        try:
            token, grant = self.issuer.token_request(request.headers.get("authorization"), form)
        except OAuthError as exc:
            headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
            if exc.status == 401:
                headers["WWW-Authenticate"] = 'Basic realm="oke"'
            client = form.get("client_id")
            self._log_only(
                self._row(
                    request,
                    at,
                    status=exc.status,
                    outcome="refused",
                    reason="oauth." + exc.error.replace("_", "-"),
                    client_id=client if client and len(client) <= 128 else None,
                )
            )
            return json_response(
                {"error": exc.error, "error_description": exc.description}, exc.status, headers=headers
            )
        self._log_only(
            self._row(request, at, client_id=grant.client_id, outcome="served", reason="token-issued")
        )
        return json_response(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": int(self.issuer.ttl),
                "scope": " ".join(sorted(grant.scopes)),
            },
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    async def patch_association(self, request: Request) -> Response:
        return await self._patch(request, "association", request.path_params["associationId"])

    async def patch_offering(self, request: Request) -> Response:
        return await self._patch(request, "offering", request.path_params["offeringId"])

    async def _patch(self, request: Request, kind: str, object_id: str) -> Response:
        at = _now()
        grant, refusal = self._auth(request, at, *READ_SCOPES)
        if refusal:
            return refusal
        client_id = grant.client_id
        ctype = request.headers.get("content-type")
        media = ctype.split(";")[0].strip().lower() if ctype else None
        if media is not None and media not in PATCH_MEDIA_TYPES:
            return self._refuse(
                request,
                at,
                415,
                f"content type {media!r} is not accepted; "
                "send application/merge-patch+json (or application/json)",
                "media-type",
                client_id=client_id,
            )
        try:
            raw = await self._read_body(request)
        except BodyTooLarge:
            return self._refuse(
                request,
                at,
                413,
                f"request body larger than {self.config.max_body} bytes",
                "size-limit",
                client_id=client_id,
            )
        except ClientDisconnect:
            return Response(status_code=400)
        body, syntax = parse_body(raw)  # the contract's parser: same verdict as `oke validate`
        parsed = syntax is None
        path = request.scope["path"]
        flow = detect_flow("PATCH", path, body if parsed else None)
        required = FLOW_15_SCOPE if flow == 5 else FLOW_234_SCOPE
        if required not in grant.scopes:
            exc = insufficient_scope(required)
            return self._refuse(
                request,
                at,
                403,
                exc.detail,
                "auth.insufficient-scope",
                client_id=client_id,
                flow=flow,
                headers={"WWW-Authenticate": exc.challenge},
            )
        header_id = request.headers.get(MESSAGE_ID_HEADER)
        if header_id is not None and not _MESSAGE_ID_RE.match(header_id):
            return self._refuse(
                request,
                at,
                400,
                "X-OKE-Message-Id must be 1-128 visible ASCII characters",
                "message-id",
                client_id=client_id,
            )
        # Without a sender id, the id is the content: the same PATCH twice is one message.
        canonical = orjson.dumps(body, option=orjson.OPT_SORT_KEYS) if parsed else raw
        digest = hashlib.sha256(b"PATCH " + path.encode() + b"\n" + canonical).hexdigest()[:32]
        message_id = header_id or "h-" + digest
        sent_at = _parse_time(request.headers.get(SENT_AT_HEADER)) or at
        received_at = sent_at if self.config.trust_sent_at else at
        envelope: dict[str, Any] = {
            "message_id": message_id,
            "sent_at": _rfc3339(sent_at),
            "received_at": _rfc3339(received_at),
            "method": "PATCH",
            "path": path,
            "flow": flow,
        }
        if parsed:
            envelope["body"] = body
        else:
            envelope["body_text"] = raw.decode("utf-8", errors="replace")
        row = self._row(
            request,
            at,
            client_id=client_id,
            message_id=message_id,
            flow=flow,
            association_id=object_id if kind == "association" else None,
        )

        try:
            answer = await self.writer.run(Job(envelope, received_at, row, kind, object_id))
        except Overloaded:
            return problem(503, "the receiver is busy; retry after a second", headers={"Retry-After": "1"})
        except Exception:
            return problem(500, "the message could not be processed; it was logged, please retry later")
        return _answer_response(answer)

    async def get_association(self, request: Request) -> Response:
        at = _now()
        grant, refusal = self._auth(request, at, *READ_SCOPES)
        if refusal:
            return refusal
        association_id = request.path_params["associationId"]
        found = await run_in_threadpool(self.reader.association, association_id)
        if found is None:
            return self._refuse(
                request,
                at,
                404,
                f"association {association_id} is not known to this receiver",
                "unknown-association",
                client_id=grant.client_id,
                association_id=association_id,
            )
        self._log_only(self._row(request, at, client_id=grant.client_id, association_id=association_id))
        return json_response(found)

    async def get_offering_associations(self, request: Request) -> Response:
        at = _now()
        grant, refusal = self._auth(request, at, *READ_SCOPES)
        if refusal:
            return refusal
        offering_id = request.path_params["offeringId"]
        try:
            page_size = _int_param(request, "pageSize", 10, 1, 250)
            page_number = _int_param(request, "pageNumber", 1, 1, 1_000_000)
        except ValueError as exc:
            return self._refuse(request, at, 400, str(exc), "query-parameter", client_id=grant.client_id)
        items = await run_in_threadpool(self.reader.offering_associations, offering_id)
        if items is None:
            return self._refuse(
                request,
                at,
                404,
                f"offering {offering_id} is not known to this receiver",
                "unknown-offering",
                client_id=grant.client_id,
            )
        items = _filter_associations(items, request.query_params)
        total_pages = max(1, -(-len(items) // page_size))
        start = (page_number - 1) * page_size
        self._log_only(self._row(request, at, client_id=grant.client_id))
        return json_response(
            {
                "pageSize": page_size,
                "pageNumber": page_number,
                "hasPreviousPage": page_number > 1,
                "hasNextPage": page_number < total_pages,
                "totalPages": total_pages,
                "items": items[start : start + page_size],
            }
        )

    async def get_document(self, request: Request) -> Response:
        at = _now()
        grant, refusal = self._auth(request, at, *READ_SCOPES)
        if refusal:
            return refusal
        document_id = request.path_params["documentId"]
        folder = self.config.documents_dir
        # Only uuid-shaped names reach the file system: no path traversal is possible.
        target = folder / document_id if folder is not None and _UUID_RE.match(document_id) else None
        if target is None or not target.is_file():
            return self._refuse(
                request,
                at,
                404,
                f"document {document_id} is not held by this receiver",
                "unknown-document",
                client_id=grant.client_id,
            )
        self._log_only(self._row(request, at, client_id=grant.client_id))
        return FileResponse(target, media_type="application/octet-stream", filename=f"{document_id}")

    # -- app -------------------------------------------------------------------------------------

    def build(self) -> Starlette:
        routes = [
            Route("/", self.metadata, methods=["GET"]),
            Route("/openapi.json", self.openapi, methods=["GET"]),
            Route("/oauth/token", self.token, methods=["POST"]),
            # one route per path so that a 405 lists every allowed method
            Route(
                "/associations/{associationId}",
                _by_method({"GET": self.get_association, "PATCH": self.patch_association}),
                methods=["GET", "PATCH"],
            ),
            Route("/offerings/{offeringId}", self.patch_offering, methods=["PATCH"]),
            Route("/offerings/{offeringId}/associations", self.get_offering_associations, methods=["GET"]),
            Route("/documents/{documentId}", self.get_document, methods=["GET"]),
        ]

        @asynccontextmanager
        async def lifespan(app: Starlette):  # type: ignore[no-untyped-def]
            # The writer thread is CPU-bound Python; with the default 5 ms GIL switch interval the event
            # loop waits up to 5 ms after every poll (a convoy) and throughput collapses to ~200 req/s.
            sys.setswitchinterval(self.config.switch_interval)
            self.writer.start()
            try:
                yield
            finally:
                await run_in_threadpool(self.writer.stop)
                await run_in_threadpool(self._on_close)

        async def http_error(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, HTTPException)
            detail = {
                404: f"no such resource: {request.scope['path']}",
                405: f"method {request.method} not allowed here",
            }
            return problem(
                exc.status_code,
                detail.get(exc.status_code, str(exc.detail)),
                headers=getattr(exc, "headers", None),
            )

        async def server_error(request: Request, exc: Exception) -> Response:
            log.exception("unhandled error on %s %s", request.method, request.scope["path"], exc_info=exc)
            return problem(500, "internal error; the request was not processed")

        return Starlette(
            routes=routes,
            lifespan=lifespan,
            exception_handlers={HTTPException: http_error, Exception: server_error},
        )


def _by_method(handlers: dict[str, Any]) -> Any:
    async def dispatch(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    return dispatch


def _parse_form(body: bytes) -> dict[str, str]:
    from urllib.parse import parse_qsl

    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return {}
    form: dict[str, str] = {}
    for k, v in pairs:
        form.setdefault(k, v)
    return form


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValueError(f"query parameter {name} must be a whole number from {low} to {high}")
    return int(raw)


def _filter_associations(items: list[dict], params: Mapping[str, str]) -> list[dict]:
    """The profile's filters that make sense for a Toetsplanning: role, state and result-state."""
    role = params.get("role")
    state = params.get("state")
    result_state = params.get("result-state")
    out = []
    for item in items:
        if role and item.get("role") != role:
            continue
        if state and item.get("state") != state:
            continue
        if result_state and (item.get("result") or {}).get("state") != result_state:
            continue
        out.append(item)
    return out
