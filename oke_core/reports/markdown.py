"""compliance.md: the exam board report as readable Markdown (Dutch, for people)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

DEADLINE_NL = {"marking": "Beoordelen", "import": "Import via OKE", "establishment": "Vaststellen"}
QUARANTINE_NL = {
    "invalid": "voldoet niet aan het OKE-contract",
    "json-syntax": "geen geldige JSON",
    "unknown-association": "onbekende deelname",
    "wrong-student": "verkeerde student",
    "wrong-component": "verkeerde zitting of examenonderdeel",
    "unknown-offering": "onbekende zitting",
}
CASES_NL = {"inspections": "Inzage", "complaints": "Klachten / bezwaren", "appeals": "Beroep (CBE)"}
DEVIATION_NL = {
    "irregularity": "Onregelmatigheden (zittingsverslag, flow 4)",
    "log_error": "Fouten in het OKE-log",
    "illegal_transition": "Niet-toegestane statusovergangen",
}


#: The per-period counts of a college or component row (compliance ``by_college``/``by_component``).
_COUNT_KEYS = ("results", "provisional", "definitive", "passed", "failed", "no_outcome")
_COUNT_HEADERS = ("resultaten", "voorlopig", "definitief", "geslaagd", "gezakt", "geen uitslag")


def _counts(row: dict[str, Any]) -> list[Any]:
    return [row[k] for k in _COUNT_KEYS]


def _cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "ja" if v else "nee"
    if isinstance(v, float):
        return f"{v:.4g}".replace(".", ",")
    return str(v).replace("|", "\\|").replace("\n", " ")


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%".replace(".", ",")


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    body = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines + (body or ["| " + " | ".join(["-"] * len(headers)) + " |"]) + [""]


def compliance_markdown(c: dict[str, Any]) -> str:
    t = c["totals"]
    out = [
        f"# Rapportage examencommissie – {c['institution']['name']}",
        "",
        f"Scenario **{c['scenario']}** (seed {c['seed']}), beleid **{c['policy']}**, "
        f"stand per **{c['as_of']}**.",
        "",
        "## Totalen",
        "",
    ]
    out += _table(
        [
            "berichten",
            "verwerkt",
            "dubbel",
            "quarantaine",
            "resultaten",
            "voorlopig",
            "definitief",
            "ingetrokken",
        ],
        [
            [
                t["messages"],
                t["applied"],
                t["duplicates"],
                t["quarantined"],
                t["results"],
                t["provisional"],
                t["definitive"],
                t["withdrawn"],
            ]
        ],
    )
    out += ["## Quarantaine per reden", ""]
    out += _table(
        ["code", "reden", "aantal"],
        [[code, QUARANTINE_NL.get(code, code), n] for code, n in sorted(c["quarantine_reasons"].items())],
    )
    out += ["## Termijnen", ""]
    out += _table(
        ["termijn", "werkdagen", "totaal", "op tijd", "te laat", "aandeel op tijd"],
        [
            [
                DEADLINE_NL.get(k, k),
                d["deadline_working_days"],
                d["total"],
                d["on_time"],
                d["late"],
                _pct(d["share_on_time"]),
            ]
            for k, d in c["deadlines"].items()
        ],
    )
    for p in c["periods"]:
        out += [f"## Periode {p['period']} ({p['from']} t/m {p['to']})", "", "### Per college", ""]
        out += _table(
            ["college", "naam", *_COUNT_HEADERS],
            [[r["college_code"], r["college_name"], *_counts(r)] for r in p["by_college"]],
        )
        out += ["### Per examenonderdeel", ""]
        out += _table(
            ["onderdeel", "naam", "college", "variant", *_COUNT_HEADERS, "gemiddeld cijfer"],
            [
                [r["component_code"], r["component_name"], r["college_code"], r["variant"], *_counts(r)]
                + [r["mean_grade"]]
                for r in p["by_component"]
            ],
        )
    out += ["## Cesuurbesluiten", ""]
    out += _table(
        [
            "examenversie",
            "onderdeel",
            "cesuur",
            "max. score",
            "vastgesteld op",
            "door",
            "eerste afname",
            "werkdagen na eerste afname",
            "te laat",
        ],
        [
            [
                x["exam_version"],
                x["component_code"],
                x["cut_score"],
                x["max_raw_score"],
                x["released_on"],
                x["released_by"],
                x["first_sitting"],
                x["working_days_after_first_sitting"],
                x["late"],
            ]
            for x in c["cut_scores"]
        ],
    )
    cases = c["cases"]
    out += ["## Inzage, klachten en beroep", ""]
    out += _table(
        [
            "soort",
            "ingediend",
            "afgehandeld",
            "gegrond",
            "ongegrond",
            "niet-ontvankelijk",
            "open",
            "tijdig ingediend",
            "mediaan werkdagen",
        ],
        [
            [
                CASES_NL[k],
                cases[k]["filed"],
                cases[k]["decided"],
                cases[k]["upheld"],
                cases[k]["rejected"],
                cases[k].get("inadmissible", 0),
                cases[k]["open"],
                cases[k]["on_time"],
                cases[k]["median_working_days"],
            ]
            for k in ("inspections", "complaints", "appeals")
        ],
    )
    out += [f"Correcties op resultaten: **{cases['corrections']}**.", "", "## Afwijkingen", ""]
    out += _table(
        ["soort", "aantal"], [[DEVIATION_NL.get(d["kind"], d["kind"]), d["count"]] for d in c["deviations"]]
    )
    a = c["annual_evaluation"]
    out += ["## Jaarevaluatie", ""]
    out += _table(
        [
            "resultaten",
            "correcties",
            "klachten",
            "beroepen",
            "beoordeeld op tijd",
            "import op tijd",
            "vastgesteld op tijd",
            "aandeel quarantaine",
        ],
        [
            [
                a["results"],
                a["corrections"],
                a["complaints"],
                a["appeals"],
                _pct(a["share_marking_on_time"]),
                _pct(a["share_import_on_time"]),
                _pct(a["share_established_on_time"]),
                _pct(a["quarantine_share"]),
            ]
        ],
    )
    return "\n".join(out).rstrip() + "\n"
