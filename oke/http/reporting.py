"""Text, JSON and JUnit renderings of the send summary and the vendor report.

JUnit lets a vendor put a rehearsal in their CI: one test case per message or request, a failure
for each refusal with the pointers and rule codes as the failure text.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import IO

import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

from oke.http.sender import SendReport
from oke_core.requestlog import VendorReport

FORMATS = ("text", "json", "junit")


def _reasons(errors: list[dict] | tuple[dict, ...], fallback: str = "") -> str:
    parts = [
        f"{e.get('pointer') or '/'} [{e.get('code', '?')}] {e.get('message', '')}".strip() for e in errors
    ]
    return "; ".join(parts) if parts else fallback


def _json(data: dict, out: IO[str]) -> None:
    out.write(orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode() + "\n")


def _junit(suite_name: str, cases: list[tuple[str, str, str | None, str]], out: IO[str]) -> None:
    """cases: (classname, name, failure message or None, failure text)."""
    failures = sum(1 for c in cases if c[2] is not None)
    suites = ET.Element("testsuites", name=suite_name, tests=str(len(cases)), failures=str(failures))
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=suite_name,
        tests=str(len(cases)),
        failures=str(failures),
        errors="0",
        skipped="0",
    )
    for classname, name, failure, text in cases:
        case = ET.SubElement(suite, "testcase", classname=classname, name=name)
        if failure is not None:
            node = ET.SubElement(case, "failure", message=failure)
            node.text = text
    ET.indent(suites)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(suites, encoding="unicode") + "\n")


def _console(out: IO[str]) -> Console:
    return Console(
        file=out,
        width=120,
        highlight=False,
        soft_wrap=False,
        emoji=False,
        force_terminal=out.isatty() if hasattr(out, "isatty") else False,
    )


def render_send(report: SendReport, fmt: str, out: IO[str]) -> None:
    if fmt == "json":
        _json(report.as_dict(), out)
        return
    if fmt == "junit":
        cases = []
        for r in report.results:
            name = f"line {r.line}: {r.message_id}"
            failed = r.outcome in ("refused", "failed")
            msg = f"{r.status or 'no answer'} {r.title}".strip() if failed else None
            cases.append((f"oke-send.{r.method}", name, msg, _reasons(r.errors, r.detail)))
        _junit("oke send", cases, out)
        return
    console = _console(out)
    # a line of its own: as a table title the URL wrapped to the width of the two narrow columns
    console.print(Text(f"Responses from {report.target} ({len(report.results)} messages)"))
    table = Table()
    table.add_column("status")
    table.add_column("messages", justify="right")
    for status, n in sorted(report.by_status.items()):
        table.add_row(status, str(n))
    console.print(table)
    console.print(Text("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(report.by_outcome.items()))))
    refused = [r for r in report.results if r.outcome in ("refused", "failed")]
    if refused:
        t = Table(title=f"Refused or undelivered ({len(refused)})")
        for col in ("line", "message_id", "status", "reason"):
            t.add_column(col, overflow="fold")
        for r in refused:
            t.add_row(
                str(r.line), Text(r.message_id), str(r.status or "-"), Text(_reasons(r.errors, r.detail))
            )
        console.print(t)


def render_vendor(report: VendorReport, fmt: str, out: IO[str]) -> None:
    if fmt == "json":
        _json(report.as_dict(), out)
        return
    if fmt == "junit":
        cases = []
        for r in report.requests:
            name = f"#{r.seq} {r.method} {r.path}" + (f" ({r.message_id})" if r.message_id else "")
            failure = None if r.accepted else f"{r.status} {r.reason or r.outcome}"
            cases.append(
                (f"vendor.{r.client_id or 'anonymous'}", name, failure, _reasons(r.problems, r.reason or ""))
            )
        _junit("oke vendor report", cases, out)
        return
    console = _console(out)
    console.print(
        Text(f"Requests received: {report.total} (accepted {report.accepted}, refused {report.refused})")
    )
    summary = Table(title="Per status")
    summary.add_column("status")
    summary.add_column("requests", justify="right")
    for status, n in sorted(report.by_status.items()):
        summary.add_row(str(status), str(n))
    console.print(summary)
    if report.by_reason:
        reasons = Table(title="Per reason")
        reasons.add_column("reason")
        reasons.add_column("requests", justify="right")
        for reason, n in sorted(report.by_reason.items()):
            reasons.add_row(Text(reason), str(n))
        console.print(reasons)
    # One plain line per request: greppable, and cheap for a log of many thousands.
    out.write("\nRequests (seq, time, client, request -> status outcome: reasons)\n")
    for r in report.requests:
        why = _reasons(r.problems, r.reason or "")
        out.write(
            f"#{r.seq} {r.at} {r.client_id or '-'} {r.method} {r.path}"
            + (f" [{r.message_id}]" if r.message_id else "")
            + f" -> {r.status} {r.outcome}"
            + (f": {why}" if why else "")
            + "\n"
        )
