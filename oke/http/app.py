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

from oke.http.answers import Answer, ServerConfig, problem_items, syntax_detail
from oke.http.clients import FLOW_234_SCOPE, KNOWN_SCOPES
from oke.http.oauth import BearerError, OAuthError, TokenIssuer
from oke.http.problems import json_response, problem
from oke.http.writer import GroupCommitWriter, Item, Job, Overloaded, Result
from oke_core.contract import detect_flow, parse_body
from oke_core.contract.sources import not_utf8_problem

log = logging.getLogger("oke.http")

FLOW_15_SCOPE = "nl-test-admin-flow-1-5"
# The scopes each operation accepts (any one of them), as the profile's `security` lists them.
READ_SCOPES = (FLOW_234_SCOPE, FLOW_15_SCOPE)
ASSOCIATION_PATCH_SCOPES = (FLOW_234_SCOPE, FLOW_15_SCOPE)  # flow 3 (TA) and flow 5 (TPL) bodies alike
OFFERING_PATCH_SCOPES = (FLOW_234_SCOPE, FLOW_15_SCOPE)  # flow 4 session reports; both, as the profile
DOCUMENT_SCOPES = (FLOW_234_SCOPE,)
LIST_PATH = "/offerings/{offeringId}/associations"
PATCH_MEDIA_TYPES = ("application/merge-patch+json", "application/json")
MESSAGE_ID_HEADER = "x-oke-message-id"
SENT_AT_HEADER = "x-oke-sent-at"
_MESSAGE_ID_RE = re.compile(r"^[!-~]{1,128}$")
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
OKE_VERSION = "1.0.1"
_RECENT_LIMIT = 20_000  # paths whose last PATCH is remembered for retry detection (~8 MB at most)


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
        # The served document's enumerations are the server's rules: they cannot disagree.
        self._list_enums = _query_enums(openapi, LIST_PATH, "get")
        self.writer = GroupCommitWriter(process_batch, max_batch=config.max_batch, max_wait=config.max_wait)
        # path -> (content digest, message id) of the last PATCH submitted there, for retry detection
        self._recent: dict[str, tuple[str, str]] = {}
        self._derived = 0  # sequence number of derived message ids in this process

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

    def _path_uuid(
        self, request: Request, at: datetime, name: str, client_id: str
    ) -> tuple[str, Response | None]:
        """The path parameter in lower case, or a 400: the profile declares these `format: uuid`."""
        raw = request.path_params[name]
        if _UUID_RE.match(raw):
            return raw.lower(), None
        detail = f"path parameter {name} must be a UUID (format: uuid), not {_shown(raw)!r}"
        return "", self._refuse(request, at, 400, detail, "path-parameter", client_id=client_id)

    def _message_id(self, path: str, digest: str, header_id: str | None, at: datetime) -> str:
        """The sender's id, else one of our own that is new for every request but an immediate retry.

        An id derived from the content alone made a re-sent earlier result (A, B, A) a duplicate of
        the first A. A fresh id per request lets the core judge: a body equal to the version it holds
        is a "same-content" duplicate. Only an identical body right after itself on the same path
        keeps the previous id, so a retry of a refused message or of a session report (which the
        core does not compare by content) is still recognised.
        """
        last = self._recent.pop(path, None)
        if header_id is not None:
            message_id = header_id
        elif last is not None and last[0] == digest:
            message_id = last[1]
        else:
            self._derived += 1
            message_id = f"h-{at:%Y%m%dT%H%M%S%f}-{self._derived}-{digest[:16]}"
        if len(self._recent) >= _RECENT_LIMIT:
            del self._recent[next(iter(self._recent))]  # the least recently patched path
        self._recent[path] = (digest, message_id)
        return message_id

    def _client_of(self, request: Request) -> str | None:
        """The client behind a valid token, for the log of a request that needed no authentication."""
        try:
            return self.issuer.check(request.headers.get("authorization"), *KNOWN_SCOPES).client_id
        except BearerError:
            return None

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
        return await self._patch(request, "association", "associationId", ASSOCIATION_PATCH_SCOPES)

    async def patch_offering(self, request: Request) -> Response:
        return await self._patch(request, "offering", "offeringId", OFFERING_PATCH_SCOPES)

    async def _patch(self, request: Request, kind: str, param: str, scopes: tuple[str, ...]) -> Response:
        at = _now()
        grant, refusal = self._auth(request, at, *scopes)
        if refusal:
            return refusal
        client_id = grant.client_id
        object_id, refusal = self._path_uuid(request, at, param, client_id)
        if refusal:
            return refusal
        ctype = request.headers.get("content-type")
        media = ctype.split(";")[0].strip().lower() if ctype else None
        if media not in PATCH_MEDIA_TYPES:
            given = f"content type {media!r} is not accepted" if media else "the request has no Content-Type"
            return self._refuse(
                request,
                at,
                415,
                f"{given}; send application/merge-patch+json (or application/json)",
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
        body, syntax = parse_body(raw)  # the contract's parser: same verdict as `oke validate`
        parsed = syntax is None
        encoding = None if parsed else not_utf8_problem(raw)
        if encoding is not None:
            # Replacing the bad bytes would alter the data; the text cannot be kept in quarantine either.
            items = problem_items([encoding])
            return self._refuse(
                request,
                at,
                400,
                syntax_detail(items),
                "json-syntax",
                errors=items,
                problems=items,
                client_id=client_id,
                message_id=header_id,
                association_id=object_id if kind == "association" else None,
            )
        path = f"/{kind}s/{object_id}"  # the id in lower case, as the planning holds it
        flow = detect_flow("PATCH", path, body if parsed else None)
        canonical = orjson.dumps(body, option=orjson.OPT_SORT_KEYS) if parsed else raw
        digest = hashlib.sha256(b"PATCH " + path.encode() + b"\n" + canonical).hexdigest()[:32]
        message_id = self._message_id(path, digest, header_id, at)
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
            envelope["body_text"] = raw.decode("utf-8")  # UTF-8 for certain: checked above
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
        association_id, refusal = self._path_uuid(request, at, "associationId", grant.client_id)
        if refusal:
            return refusal
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
        offering_id, refusal = self._path_uuid(request, at, "offeringId", grant.client_id)
        if refusal:
            return refusal
        try:
            _check_enums(request, self._list_enums)  # pageSize too: the profile allows 10, 20, 50, 100, 250
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
        grant, refusal = self._auth(request, at, *DOCUMENT_SCOPES)
        if refusal:
            return refusal
        # Only uuid-shaped names reach the file system: no path traversal is possible.
        document_id, refusal = self._path_uuid(request, at, "documentId", grant.client_id)
        if refusal:
            return refusal
        folder = self.config.documents_dir
        target = folder / document_id if folder is not None else None
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
            reason = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
            # In the request log too: a vendor must see the requests that went to the wrong place.
            self._log_only(
                self._row(
                    request,
                    _now(),
                    status=exc.status_code,
                    outcome="refused",
                    reason=reason,
                    client_id=self._client_of(request),
                )
            )
            return problem(
                exc.status_code,
                detail.get(exc.status_code, str(exc.detail)),
                headers=getattr(exc, "headers", None),
            )

        async def server_error(request: Request, exc: Exception) -> Response:
            log.exception("unhandled error on %s %s", request.method, request.scope["path"], exc_info=exc)
            return problem(500, "internal error; the request was not processed")

        app = Starlette(
            routes=routes,
            lifespan=lifespan,
            exception_handlers={HTTPException: http_error, Exception: server_error},
        )
        # A 307 to the path without the slash would be invisible in the request log, and a client may
        # not repeat a PATCH body after a redirect: a trailing slash is an unknown path (404) instead.
        app.router.redirect_slashes = False
        return app


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


def _shown(value: str, limit: int = 80) -> str:
    """A client's value echoed in an error, cut short: the answer stays readable."""
    return value if len(value) <= limit else value[:limit] + "..."


def _query_enums(openapi: dict, path: str, method: str) -> dict[str, tuple[tuple[str, ...], bool]]:
    """Query parameter -> (allowed values as text, comma-separated list?) from the served document."""
    operation = openapi.get("paths", {}).get(path, {}).get(method, {})
    enums: dict[str, tuple[tuple[str, ...], bool]] = {}
    for param in operation.get("parameters", ()):
        schema = param.get("schema", {})
        is_list = schema.get("type") == "array"
        values = (schema.get("items", {}) if is_list else schema).get("enum")
        if param.get("in") == "query" and values:
            enums[param["name"]] = (tuple(str(v) for v in values), is_list)
    return enums


def _check_enums(request: Request, enums: Mapping[str, tuple[tuple[str, ...], bool]]) -> None:
    """400 rather than a silently empty page when a filter value is not one the profile defines."""
    for name, (allowed, is_list) in enums.items():
        for raw in request.query_params.getlist(name):
            for value in raw.split(",") if is_list else (raw,):
                if value not in allowed:
                    choices = ", ".join(allowed)
                    sep = " (comma-separated)" if is_list else ""
                    raise ValueError(
                        f"query parameter {name} must be one of {choices}{sep}, not {_shown(value)!r}"
                    )


def _filter_associations(items: list[dict], params: Mapping[str, str]) -> list[dict]:
    """The profile's filters (role, state, result-state, associationType) and sort, on checked values."""
    role = params.get("role")
    state = params.get("state")
    result_state = params.get("result-state")
    association_type = params.get("associationType")
    out = []
    for item in items:
        if role and item.get("role") != role:
            continue
        if state and item.get("state") != state:
            continue
        if result_state and (item.get("result") or {}).get("state") != result_state:
            continue
        if association_type and item.get("associationType") != association_type:
            continue
        out.append(item)
    descending = (params.get("sort") or "").split(",")[0] == "-associationId"
    return sorted(out, key=lambda item: item["associationId"], reverse=descending)
