"""OAuth2 client-credentials (RFC 6749 section 4.4) and bearer checks (RFC 6750) for the mock.

Tokens are opaque random strings held in memory with an expiry: the server is a single process
and a restart simply asks clients to fetch a new token, as a real authorisation server would.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote_plus

from oke.http.clients import Client, ClientRegistry

REALM = "oke"


@dataclass(frozen=True)
class Grant:
    client_id: str
    scopes: frozenset[str]
    expires_at: float


class OAuthError(Exception):
    """An RFC 6749 section 5.2 error response."""

    def __init__(self, error: str, description: str, status: int = 400, basic: bool = False) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.basic = basic


class BearerError(Exception):
    """Why a protected request was refused; carries the RFC 6750 challenge."""

    def __init__(self, status: int, detail: str, error: str | None = None, scope: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.error = error
        self.scope = scope

    @property
    def challenge(self) -> str:
        parts = [f'realm="{REALM}"']
        if self.error:
            parts.append(f'error="{self.error}"')
            parts.append(f'error_description="{self.detail}"')
        if self.scope:
            parts.append(f'scope="{self.scope}"')
        return "Bearer " + ", ".join(parts)


def insufficient_scope(scope: str, *alternatives: str) -> BearerError:
    """403; the challenge names the first scope, the detail also the others that would do."""
    others = "".join(f" (or {alt})" for alt in alternatives)
    return BearerError(403, f"the access token lacks the scope {scope}{others}", "insufficient_scope", scope)


class TokenIssuer:
    """Issues and checks tokens; thread-safe because the writer thread never touches it."""

    def __init__(
        self, registry: ClientRegistry, ttl: float = 3600.0, clock: Callable[[], float] = time.monotonic
    ):
        self.registry = registry
        self.ttl = ttl
        self._clock = clock
        self._grants: dict[str, Grant] = {}
        self._lock = threading.Lock()

    def issue(self, client: Client, requested: str | None) -> tuple[str, Grant]:
        if requested is None or not requested.strip():
            scopes = client.scopes
        else:
            scopes = frozenset(requested.split())
            extra = scopes - client.scopes
            if extra:
                raise OAuthError(
                    "invalid_scope", f"scope not granted to this client: {' '.join(sorted(extra))}"
                )
        token = secrets.token_urlsafe(32)
        grant = Grant(client.client_id, scopes, self._clock() + self.ttl)
        with self._lock:
            self._purge()
            self._grants[token] = grant
        return token, grant

    def check(self, authorization: str | None, *any_of: str) -> Grant:
        """The grant behind the header if it is valid and holds at least one of the scopes."""
        if not authorization:
            raise BearerError(
                401, "no access token: send 'Authorization: Bearer <token>' from POST /oauth/token"
            )
        kind, _, token = authorization.partition(" ")
        if kind.lower() != "bearer":  # RFC 6750 3.1: another scheme is "no token", without an error code
            raise BearerError(401, f"the Authorization header must use the Bearer scheme, not {kind!r}")
        if not token.strip():
            raise BearerError(400, "the Bearer token is empty", "invalid_request")
        with self._lock:
            grant = self._grants.get(token.strip())
        if grant is None:
            raise BearerError(401, "the access token is unknown or was revoked", "invalid_token")
        if grant.expires_at <= self._clock():
            raise BearerError(401, "the access token has expired; fetch a new one", "invalid_token")
        if not grant.scopes.intersection(any_of):
            raise insufficient_scope(*any_of)
        return grant

    def _purge(self) -> None:
        now = self._clock()
        if len(self._grants) > 1000:
            for tok in [t for t, g in self._grants.items() if g.expires_at <= now]:
                del self._grants[tok]

    def token_request(self, authorization: str | None, form: dict[str, str]) -> tuple[str, Grant]:
        """Handle the token endpoint's form; raises OAuthError with the RFC 6749 error code."""
        client_id, secret, basic = _client_credentials(authorization, form)
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError("invalid_request", "grant_type is required (client_credentials)")
        if grant_type != "client_credentials":
            raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported")
        client = self.registry.authenticate(client_id, secret)
        if client is None:
            raise OAuthError("invalid_client", "unknown client or wrong secret", status=401, basic=basic)
        return self.issue(client, form.get("scope"))


def _client_credentials(authorization: str | None, form: dict[str, str]) -> tuple[str, str, bool]:
    in_form = "client_id" in form or "client_secret" in form
    if authorization and authorization.lower().startswith("basic "):
        if in_form:
            raise OAuthError("invalid_request", "use either HTTP Basic or form credentials, not both")
        try:
            raw = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError("invalid_client", "malformed Basic credentials", 401, basic=True) from None
        user, sep, pw = raw.partition(":")
        if not sep:
            raise OAuthError("invalid_client", "malformed Basic credentials", 401, basic=True)
        # RFC 6749 section 2.3.1: both parts are form-urlencoded before Basic encoding.
        return unquote_plus(user), unquote_plus(pw), True
    if not in_form:
        raise OAuthError(
            "invalid_client", "client authentication required (HTTP Basic or form)", 401, basic=True
        )
    if not form.get("client_id") or "client_secret" not in form:
        raise OAuthError("invalid_request", "client_id and client_secret are both required")
    return form["client_id"], form["client_secret"], False
