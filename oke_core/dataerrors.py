"""One error type for bad configuration and planning data: file, line, JSON pointer, rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class DataError(ValueError):
    """Bad input data, reported as ``file:line: pointer: message [rule]`` (never a traceback)."""

    def __init__(self, file: Path | str, line: int | None, pointer: str, rule: str, message: str) -> None:
        self.file = str(file)
        self.line = line
        self.pointer = pointer
        self.rule = rule
        self.message = message
        where = f"{self.file}:{line}" if line else self.file
        super().__init__(f"{where}: {pointer or '/'}: {message} [{rule}]")


def pointer_of(path: Any) -> str:
    """RFC 6901 pointer from a jsonschema error path (a sequence of keys/indices)."""
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in path]
    return "".join("/" + p for p in parts)


def yaml_line(node: yaml.Node | None, path: list[Any]) -> int | None:
    """1-based line of the YAML node at ``path`` (or of its nearest existing ancestor)."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in path:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == str(key)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            nxt = node.value[key]
        else:
            nxt = None
        if nxt is None:
            break
        node = nxt
        line = node.start_mark.line + 1
    return line


def yaml_duplicate_key(
    node: yaml.Node | None, file: Path | str, path: list[Any] | None = None, seen: set[int] | None = None
) -> DataError | None:
    """The first mapping key given twice in a composed YAML document, as a DataError (else None).

    PyYAML's loaders keep the last of two equal keys without a word; compose the text and call
    this before using the data. Merge keys (``<<``) are left alone: overriding them is their use.
    A node reached again through an alias is checked once (aliases may even form a cycle).
    """
    path = path or []
    seen = set() if seen is None else seen
    if id(node) in seen:
        return None
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first: dict[tuple[str, str], yaml.Node] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                earlier = first.setdefault((key.tag, key.value), key)
                if earlier is not key:
                    return DataError(
                        file,
                        key.start_mark.line + 1,
                        pointer_of([*path, key.value]),
                        "duplicate-key",
                        f"key {key.value!r} is given twice (first on line {earlier.start_mark.line + 1})",
                    )
            found = yaml_duplicate_key(value, file, [*path, getattr(key, "value", "?")], seen)
            if found is not None:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found = yaml_duplicate_key(item, file, [*path, i], seen)
            if found is not None:
                return found
    return None
