"""Put message bodies back into OKE-log rows: the log stores where a body is kept, not the body.

A message entry's stored ``detail`` has ``body@`` (a JSON body) or ``body_text@`` (raw text) with
``v`` (the ``result_version`` row of the entry's seq), ``v:<seq>`` (that of another entry: a
repeated delivery with the same content as the current version), ``q:<seq>`` (a
quarantine item), ``r:<seq>`` (a session report) or ``m`` (``message_body`` row of the entry's seq).
Rows are resolved in chunks with one query per table, so exporting a large log stays a stream.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

import orjson
from sqlalchemy import Engine, select

from oke_core.store import models

_REF_KEYS = ("body@", "body_text@")
_SORTED = orjson.OPT_SORT_KEYS


def _lookup(conn: Any, stmt: Any) -> dict[Any, str]:
    return {tuple(r[:-1]) if len(r) > 2 else r[0]: r[-1] for r in conn.execute(stmt)}


def with_bodies(
    engine: Engine, rows: Iterable[dict[str, Any]], chunk: int = 2000
) -> Iterator[dict[str, Any]]:
    """The rows with ``detail`` text as it is exported: the body spliced back in (sorted keys)."""
    it = iter(rows)
    ver = models.ResultVersion.__table__
    qua = models.QuarantineItem.__table__
    rep = models.SessionReport.__table__
    msg = models.MessageBody.__table__
    while part := list(islice(it, chunk)):
        todo: list[tuple[dict[str, Any], dict[str, Any], str, str]] = []
        want_v: set[int] = set()
        want_q: set[int] = set()
        want_r: set[int] = set()
        want_m: set[int] = set()
        for row in part:
            text = row.get("detail")
            if not text or "@" not in text:
                continue
            detail = orjson.loads(text)
            key = next((k for k in _REF_KEYS if k in detail), None)
            if key is None:
                continue
            ref = detail.pop(key)
            if ref == "v":
                want_v.add(row["seq"])
            elif ref[:2] == "v:":
                want_v.add(int(ref[2:]))
            elif ref == "m":
                want_m.add(row["seq"])
            elif ref[:2] == "q:":
                want_q.add(int(ref[2:]))
            else:
                want_r.add(int(ref[2:]))
            todo.append((row, detail, key, ref))
        if todo:
            with engine.connect() as conn:
                found_v = _lookup(conn, select(ver.c.seq, ver.c.body_text).where(ver.c.seq.in_(want_v)))
                found_q = _lookup(conn, select(qua.c.seq, qua.c.body_text).where(qua.c.seq.in_(want_q)))
                found_r = _lookup(conn, select(rep.c.seq, rep.c.body_text).where(rep.c.seq.in_(want_r)))
                found_m = _lookup(conn, select(msg.c.seq, msg.c.body_text).where(msg.c.seq.in_(want_m)))
            for row, detail, key, ref in todo:
                if ref == "v":
                    body = found_v[row["seq"]]
                elif ref[:2] == "v:":
                    body = found_v[int(ref[2:])]
                elif ref == "m":
                    body = found_m[row["seq"]]
                elif ref[:2] == "q:":
                    body = found_q[int(ref[2:])]
                else:
                    body = found_r[int(ref[2:])]
                detail[key[:-1]] = orjson.Fragment(body) if key == "body@" else body
                row["detail"] = orjson.dumps(detail, option=_SORTED).decode()
        yield from part
