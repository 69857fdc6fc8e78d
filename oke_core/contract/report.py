"""Output formats of `oke validate`: text for people, JSON for tools, JUnit XML for a vendor's CI."""

from __future__ import annotations

import json
import textwrap
from typing import TextIO
from xml.etree import ElementTree as ET

from oke_core.contract.model import Problem, Verdict
from oke_core.contract.runner import Tally

FORMATS = ("text", "json", "junit")


def verdict_dict(source: str, verdict: Verdict) -> dict[str, object]:
    """The JSON form of one message's verdict (documented in docs/contract.md)."""
    return {
        "source": source,
        "flow": verdict.flow,
        "valid": verdict.valid,
        "errors": [p.to_dict() for p in verdict.errors],
        "warnings": [p.to_dict() for p in verdict.warnings],
    }


def _problem_lines(source: str, p: Problem) -> list[str]:
    where = p.pointer or "(whole body)"
    lines = [f"{source}: {p.severity}: {where}: [{p.code}] {p.message}"]
    if p.explanation:
        lines.extend(textwrap.wrap(p.explanation, width=100, initial_indent="    ", subsequent_indent="    "))
    return lines


class Reporter:
    """Streams per-message output; `finish` writes totals. Subclasses pick the format."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tally = Tally()

    def add(self, source: str, verdict: Verdict) -> None:
        self.tally.add(verdict)

    def finish(self) -> None:
        return None


class TextReporter(Reporter):
    def add(self, source: str, verdict: Verdict) -> None:
        super().add(source, verdict)
        for p in verdict.errors + verdict.warnings:
            self.out.write("\n".join(_problem_lines(source, p)) + "\n")

    def finish(self) -> None:
        t = self.tally
        self.out.write(
            f"{t.messages} message(s): {t.valid} valid, {t.invalid} invalid; "
            f"{t.errors} error(s), {t.warnings} warning(s)\n"
        )


class JsonReporter(Reporter):
    def __init__(self, out: TextIO) -> None:
        super().__init__(out)
        self.out.write("[")

    def add(self, source: str, verdict: Verdict) -> None:
        self.out.write(
            ("\n" if self.tally.messages == 0 else ",\n")
            + json.dumps(verdict_dict(source, verdict), sort_keys=True, ensure_ascii=False)
        )
        super().add(source, verdict)

    def finish(self) -> None:
        self.out.write("\n]\n" if self.tally.messages else "]\n")


class JunitReporter(Reporter):
    """One test case per message; a failure lists its errors, warnings go to system-out."""

    def __init__(self, out: TextIO) -> None:
        super().__init__(out)
        self.cases: list[ET.Element] = []

    def add(self, source: str, verdict: Verdict) -> None:
        super().add(source, verdict)
        case = ET.Element("testcase", {"classname": f"oke.flow{verdict.flow or 'unknown'}", "name": source})
        if verdict.errors:
            first = verdict.errors[0]
            failure = ET.SubElement(
                case,
                "failure",
                {
                    "message": f"{len(verdict.errors)} error(s); first: {first.pointer or '(whole body)'} "
                    f"[{first.code}] {first.message}",
                    "type": first.code,
                },
            )
            failure.text = "\n".join(line for p in verdict.errors for line in _problem_lines(source, p))
        if verdict.warnings:
            ET.SubElement(case, "system-out").text = "\n".join(
                line for p in verdict.warnings for line in _problem_lines(source, p)
            )
        self.cases.append(case)

    def finish(self) -> None:
        t = self.tally
        attrs = {
            "name": "oke validate",
            "tests": str(t.messages),
            "failures": str(t.invalid),
            "errors": "0",
            "skipped": "0",
        }
        suites = ET.Element("testsuites", attrs)
        suite = ET.SubElement(suites, "testsuite", attrs)
        suite.extend(self.cases)
        ET.indent(suites)
        self.out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
        )


def make_reporter(fmt: str, out: TextIO) -> Reporter:
    return {"text": TextReporter, "json": JsonReporter, "junit": JunitReporter}[fmt](out)
