"""OAuth2 client registry: who may ask for a token, loaded from a YAML file validated on load."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from oke_core.dataerrors import DataError, pointer_of, yaml_line

FLOW_234_SCOPE = "nl-test-admin-flow-2-3-4"
KNOWN_SCOPES = (
    "nl-test-admin-flow-0",
    "nl-test-admin-flow-1-5",
    FLOW_234_SCOPE,
    "nl-test-admin-flow-6",
)

# The development default, documented in docs/http.md; printed at start-up when it is in use.
DEV_CLIENT_ID = "dev-client"
DEV_CLIENT_SECRET = "dev-secret"

_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["client_id", "client_secret", "scopes"],
        "additionalProperties": False,
        "properties": {
            "client_id": {"type": "string", "minLength": 1, "pattern": "^[!-~]+$"},
            "client_secret": {"type": "string", "minLength": 8},
            "scopes": {
                "type": "array",
                "items": {"type": "string", "enum": list(KNOWN_SCOPES)},
                "uniqueItems": True,
            },
            "name": {"type": "string"},
        },
    },
}


ClientsFileError = DataError  # file, line, JSON pointer and rule, like every other data file


@dataclass(frozen=True)
class Client:
    client_id: str
    secret: str
    scopes: frozenset[str]
    name: str = ""

    def __repr__(self) -> str:  # never show the secret, not even in a traceback
        return f"Client(client_id={self.client_id!r}, scopes={sorted(self.scopes)!r})"


class ClientRegistry:
    def __init__(self, clients: list[Client], *, is_default: bool = False) -> None:
        self._by_id = {c.client_id: c for c in clients}
        self.is_default = is_default

    def authenticate(self, client_id: str, secret: str) -> Client | None:
        """Constant-time secret comparison; an unknown id still costs one comparison."""
        client = self._by_id.get(client_id)
        expected = client.secret if client else "\x00" * max(len(secret), 1)
        ok = hmac.compare_digest(expected.encode(), secret.encode())
        return client if ok and client else None

    def __len__(self) -> int:
        return len(self._by_id)

    @classmethod
    def development_default(cls) -> ClientRegistry:
        return cls(
            [Client(DEV_CLIENT_ID, DEV_CLIENT_SECRET, frozenset({FLOW_234_SCOPE}), "development")],
            is_default=True,
        )

    @classmethod
    def load(cls, path: Path) -> ClientRegistry:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise DataError(
                path, None, "", "file", f"cannot read the clients file ({exc.strerror})"
            ) from None
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark else None
            raise DataError(
                path, line, "", "yaml-syntax", f"not valid YAML ({getattr(exc, 'problem', exc)})"
            ) from None
        errors = sorted(Draft202012Validator(_SCHEMA).iter_errors(data), key=lambda e: list(e.absolute_path))
        if errors:
            err = errors[0]
            pointer = pointer_of(err.absolute_path)
            # The secret's value must never appear in a message, not even an invalid one.
            msg = (
                "the secret must be a string of at least 8 characters"
                if "client_secret" in pointer
                else err.message
            )
            raise DataError(
                path, yaml_line(node, list(err.absolute_path)), pointer, f"schema.{err.validator}", msg
            )
        seen: dict[str, int] = {}
        clients = []
        for i, item in enumerate(data):
            if item["client_id"] in seen:
                raise DataError(
                    path,
                    yaml_line(node, [i, "client_id"]),
                    f"/{i}/client_id",
                    "unique-client-id",
                    f"duplicate client_id {item['client_id']!r} (first at item {seen[item['client_id']]})",
                )
            seen[item["client_id"]] = i
            clients.append(
                Client(
                    item["client_id"], item["client_secret"], frozenset(item["scopes"]), item.get("name", "")
                )
            )
        return cls(clients)
