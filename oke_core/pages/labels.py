"""Dutch labels for the codes the report data carries (people-facing; the codes stay English)."""

from __future__ import annotations

QUARANTINE_REASONS = {
    "invalid": "Bericht voldoet niet aan het OKE-contract (schema of regels)",
    "json-syntax": "Geen geldige JSON (bericht onleesbaar)",
    "unknown-association": "Onbekende deelname (associationId niet in de planning)",
    "wrong-student": "Verkeerde student (person wijkt af van de deelname)",
    "wrong-component": "Verkeerde zitting of examenonderdeel (offering wijkt af)",
    "unknown-offering": "Onbekende zitting (offeringId niet in de planning)",
}

#: Grades that are words (pass-or-fail, insufficient-satisfactory-good), as a student reads them.
GRADE_WORDS = {
    "passed": "behaald",
    "failed": "niet behaald",
    "insufficient": "onvoldoende",
    "satisfactory": "voldoende",
    "good": "goed",
}

#: How a result became definitive (``definitive_rule``), for the trainer's walkthrough.
ESTABLISHMENT_RULES = {
    "after_cut_score": "na vaststelling van de cesuur",
    "fixed_working_days_after_sitting": "vaste termijn na de afname",
    "supplier_final": "eindresultaat van de examenleverancier",
    "early_establishment": "eerder vastgesteld door de examencommissie",
}

#: The decision on a complaint or appeal (``case_file.outcome``).
CASE_OUTCOMES = {"upheld": "gegrond", "rejected": "ongegrond"}
#: A case's kind as the student portal names it.
CASE_KINDS = {"inspection": "Inzage", "complaint": "Klacht", "appeal": "Beroep bij de CBE"}

#: Added to a complaint or appeal KRS did not admit (case status ``inadmissible``).
NOT_ADMITTED = " (niet-ontvankelijk: ingediend toen het resultaat dat niet toeliet)"

#: What an error in the OKE-log means, for the exam office (the log keeps the rule code and the
#: technical reason, which the pages show after this sentence).
ERROR_RULES = {
    "illegal-transition": "Niet-toegestane statusovergang, geweigerd; de status blijft",
    "case-not-open": "Beslissing over een zaak die niet (meer) open is",
    "unknown-case": "Beslissing over een onbekende zaak",
    "case-duplicate": "Zaak is al eerder ingediend",
    "case-id-missing": "Gebeurtenis zonder zaaknummer",
    "case-outcome": "Onbekende uitspraak (gegrond of ongegrond verwacht)",
    "no-result": "Geen resultaat geregistreerd voor deze deelname",
    "not-provisional": "Eerder vaststellen kan alleen bij een voorlopig resultaat",
    "unknown-exam-version": "Cesuur voor een onbekende examenversie",
    "cut-score-valid": "Cesuur ongeldig; resultaten blijven voorlopig",
    "complaint-after-establishment": "Klacht na de definitieve vaststelling: niet-ontvankelijk, het "
    "resultaat blijft (de weg is nu beroep bij de CBE)",
    "appeal-not-admissible": "Beroep niet-ontvankelijk: alleen mogelijk na de vaststelling en binnen "
    "de beroepstermijn",
    "complaint-window-closed": "Klacht na afloop van de klachttermijn (toch in behandeling genomen)",
    "early-establishment-blocked": "Eerder vaststellen is (nog) niet mogelijk",
    "grade-conversion": "Omzetten naar een cijfer lukte niet",
}

#: OKE-log detail keys as the pages name them (other keys are shown as they are).
DETAIL_KEYS = {"version": "versie", "by": "door", "replaces": "vervangt", "problems": "problemen"}

#: What happened to a received message (OKE-log ``after`` of a message entry).
MESSAGE_OUTCOMES = {
    "applied": "verwerkt",
    "duplicate": "dubbel ontvangen",
    "quarantined": "in quarantaine",
}

#: Attendance other than "present" (OKE ``attendance``), as the student reads it on the portal.
NOT_ATTENDED = {
    "notPresent": "niet verschenen",
    "notStarted": "niet begonnen",
    "notFinished": "niet afgemaakt",
}
NOT_ATTENDED_WHY = {
    "notPresent": "Je was niet aanwezig bij deze zitting; daarom is er geen cijfer.",
    "notStarted": "Je bent niet aan deze zitting begonnen; daarom is er geen cijfer.",
    "notFinished": "Je hebt deze zitting niet afgemaakt; daarom is er geen cijfer.",
}

DEADLINES = {
    "marking": "Beoordelen binnen {n} werkdagen na afname",
    "import": "Import via OKE binnen {n} werkdagen na beoordelen",
    "establishment": "Vaststelling op tijd ({n} werkdagen na afname)",
    "establishment-cut-score": "Vaststelling op tijd (na vaststelling van de cesuur)",
}

CASES = {
    "inspections": "Inzage",
    "complaints": "Klachten / bezwaren",
    "appeals": "Beroep (CBE)",
}

DEVIATIONS = {
    "irregularity": "Onregelmatigheden in het zittingsverslag (flow 4)",
    "irregularities": "Onregelmatigheden in het zittingsverslag (flow 4)",
    "log_error": "Fouten in het OKE-log",
    "log-error": "Fouten in het OKE-log",
    "log_errors": "Fouten in het OKE-log",
    "illegal_transition": "Niet-toegestane statusovergang",
    "illegal-transition": "Niet-toegestane statusovergang",
    "illegal_transitions": "Niet-toegestane statusovergangen",
}

BREACHES = {
    "marking": "Beoordelingstermijn overschreden",
    "import": "Importtermijn overschreden",
    "establishment": "Vaststelling te laat",
    "cut_score": "Cesuur te laat",
    "cut-score": "Cesuur te laat",
}

STEPS = {
    "sitting": "Afname (zitting)",
    "attendance": "Aanwezigheid doorgegeven",
    "marking": "Beoordeling door examinator",
    "marked": "Beoordeling door examinator",
    "flow3": "Flow-3-bericht ontvangen",
    "flow-3": "Flow-3-bericht ontvangen",
    "flow3_message": "Flow-3-bericht ontvangen",
    "message": "Flow-3-bericht ontvangen",
    "validation": "Validatie tegen het OKE-contract",
    "validated": "Validatie tegen het OKE-contract",
    "provisional": "Voorlopig resultaat in KRS",
    "cut_score": "Cesuur vastgesteld",
    "cut-score": "Cesuur vastgesteld",
    "conversion": "Omgezet naar cijfer",
    "definitive": "Definitief vastgesteld",
    "established": "Definitief vastgesteld",
    "appeal_window": "Beroepstermijn (CBE) loopt af",
    "appeal-window": "Beroepstermijn (CBE) loopt af",
    "complaint": "Klacht ingediend",
    "complaint_filed": "Klacht ingediend",
    "complaint_decided": "Klacht afgehandeld",
    "correction": "Gecorrigeerd resultaat",
    "inspection": "Inzage aangevraagd",
    "appeal": "Beroep ingesteld",
    "notification": "Bericht aan student",
    "quarantine": "In quarantaine",
    "duplicate": "Dubbel bericht herkend",
}

VARIANTS = {
    1: "Variant 1 – instelling zet om (cesuur in KRS)",
    2: "Variant 2 – leverancier zet om",
}

LEVELS = {"error": "fout", "warning": "waarschuwing", "info": "info"}


def label(table: dict[str, str], code: object) -> str:
    """The Dutch label, or the code itself (readable enough) when it is new."""
    text = str(code)
    return table.get(text, text.replace("_", " ").replace("-", " ").capitalize())


TRACE_DEADLINES = {
    "marking": "Beoordelen uiterlijk",
    "import": "Import via OKE uiterlijk",
    "complaint": "Inzage of klacht tot en met",
    "complaint_until": "Inzage of klacht tot en met",
    "inspection": "Inzage of klacht tot en met",
    "establishment": "Definitief vastgesteld uiterlijk",
    "definitive": "Definitief vastgesteld uiterlijk",
    "definitive_on": "Definitief vastgesteld uiterlijk",
    "appeal": "Beroep bij de CBE tot en met",
    "appeal_until": "Beroep bij de CBE tot en met",
    "cut_score": "Cesuur verwacht uiterlijk",
}

TRACE_DEADLINES_SHORT = {
    "marking": "beoordelen",
    "import": "import",
    "complaint": "klacht t/m",
    "complaint_until": "klacht t/m",
    "inspection": "klacht t/m",
    "establishment": "vaststellen",
    "definitive": "vaststellen",
    "definitive_on": "vaststellen",
    "appeal": "beroep t/m",
    "appeal_until": "beroep t/m",
    "cut_score": "cesuur",
}

LOG_KINDS = {
    "received": "ontvangen",
    "applied": "verwerkt",
    "validated": "gevalideerd",
    "quarantined": "in quarantaine",
    "duplicate": "dubbel bericht",
    "out-of-order": "volgorde afwijkend",
    "held": "aangehouden",
    "rejected": "geweigerd",
    "illegal-transition": "niet-toegestane overgang",
    "transition": "statuswijziging",
    "message": "bericht",
    "exception": "uitzondering",
    "clock": "termijncontrole",
    "correction": "correctie",
    "planning": "planning",
    "status": "statuswijziging",
    "provisional": "voorlopig geregistreerd",
    "definitive": "definitief vastgesteld",
    "established": "definitief vastgesteld",
    "cut-score": "cesuur",
    "cut_score_released": "cesuur vastgesteld",
    "converted": "omgezet naar cijfer",
    "event": "gebeurtenis",
    "notified": "student geïnformeerd",
    "error": "fout",
    "warning": "waarschuwing",
}

# The level a log kind gets on the pages (mirrors oke_core.reports.counts; entries that carry a
# `level` keep it).
ERROR_KINDS = frozenset({"quarantined", "illegal-transition", "rejected", "error"})
WARNING_KINDS = frozenset({"duplicate", "out-of-order", "warning", "held"})
