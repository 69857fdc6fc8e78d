"""Student messages: the policy's e-mail template filled with the dates of one result, as .eml.

The letter text comes from the policy (`notification_template`, carried in each notification);
this module only adds the concrete dates and the headers. Date and Message-ID derive from the
data, so the same rehearsal writes byte-identical files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, time
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from oke_core.pages.dates import as_date, long_date
from oke_core.pages.labels import NOT_ATTENDED
from oke_core.pages.render import grade

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
SEND_TIME = time(8, 0)  # KRS sends the day's messages at the start of the working day
DEFAULT_FROM = "examenadministratie@krs.example"
DOMAIN = "krs.example"
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class NotificationError(ValueError):
    """A notification that cannot become a letter (names the notification and the field)."""


# Keys of `oke_core.reports.notifications` -> the names this module uses (both spellings accepted).
ALIASES = {
    "to": "email",
    "date": "registered_on",
    "body": "template",
    "expected_definitive_on": "definitive_on",
}


def normalise(note: dict) -> dict:
    """One notification with this module's key names and a stable id (association + send day)."""
    out = dict(note)
    for theirs, ours in ALIASES.items():
        if out.get(ours) in (None, "") and out.get(theirs) not in (None, ""):
            out[ours] = out[theirs]
    if not out.get("notification_id") and out.get("association_id") and out.get("registered_on"):
        out["notification_id"] = f"{out['association_id']}-{out['registered_on']}"
    return out


def _field(note: dict, key: str, index: int) -> object:
    if note.get(key) in (None, ""):
        ident = note.get("notification_id", f"#{index}")
        raise NotificationError(f"notification {ident}: field /{key} is required to write the e-mail")
    return note[key]


def _display(note: dict, key: str) -> str:
    value = note.get(key)
    if key in ("registered_on", "complaint_until", "definitive_on", "appeal_until"):
        return long_date(value) if value else ""
    if key == "grade":
        return grade(value)
    return "" if value is None else str(value)


def fill_template(template: str, note: dict) -> str:
    """Fill `{key}` placeholders the policy author used; leave unknown braces as written."""

    def sub(match: re.Match[str]) -> str:
        key = match.group(1)
        return _display(note, key) if key in note else match.group(0)

    return _PLACEHOLDER.sub(sub, template)


def letter_body(note: dict) -> str:
    """The policy's text, then the result and the dates that apply to it."""
    template = str(note.get("template") or "").strip("\n")
    lines = [fill_template(template, note).rstrip(), "", "Om dit resultaat gaat het", "-" * 25]
    attempt = note.get("attempt")
    attempt_text = f", herkansing {int(attempt) - 1}" if isinstance(attempt, int) and attempt > 1 else ""
    component = f"{note.get('component_name', '')} ({note.get('component_code', '')})"
    lines.append(f"Examenonderdeel:     {component}{attempt_text}")
    if note.get("grade") not in (None, ""):
        lines.append(f"Voorlopig resultaat: {grade(note['grade'])}")
    elif note.get("score") not in (None, ""):
        lines.append(f"Voorlopige score:    {note['score']}")
    elif note.get("attendance") in NOT_ATTENDED:  # no grade because the student did not sit it
        lines.append(f"Voorlopig resultaat: {NOT_ATTENDED[note['attendance']]}, geen cijfer")
    lines.append(f"Geregistreerd op:    {long_date(note.get('registered_on'))}")
    lines += ["", "Belangrijke data", "-" * 16]
    if note.get("complaint_until"):
        lines.append(f"Inzage of klacht:    tot en met {long_date(note['complaint_until'])}")
    definitive, complaint = as_date(note.get("definitive_on")), as_date(note.get("complaint_until"))
    if definitive and complaint and definitive <= complaint:
        # Establishment waits for the complaint window (seed: "na afloop van de inzage-/bezwaarperiode").
        lines.append(f"Definitief:          na afloop van de klachttermijn, dus na {long_date(complaint)}")
    elif definitive:
        lines.append(f"Definitief:          op {long_date(definitive)}, tenzij je een klacht indient")
    if note.get("appeal_until"):
        lines.append(f"Beroep bij de CBE:   tot en met {long_date(note['appeal_until'])}")
    if note.get("exam_board_email"):
        lines.append(f"Examencommissie:     {note['exam_board_email']}")
    if note.get("appeals_board_email"):
        lines.append(f"CBE:                 {note['appeals_board_email']}")
    lines += ["", "Met vriendelijke groet,", f"Examenadministratie{_institution(note)}", ""]
    return "\n".join(lines)


def _institution(note: dict) -> str:
    inst = note.get("institution")
    if isinstance(inst, dict):
        inst = inst.get("name")
    return f" {inst}" if inst else ""


def build_message(note: dict, index: int = 0) -> EmailMessage:
    email = str(_field(note, "email", index))
    registered = as_date(str(_field(note, "registered_on", index)))
    ident = str(_field(note, "notification_id", index))
    _field(note, "template", index)
    msg = EmailMessage()
    sender = str(note.get("from_address") or DEFAULT_FROM)
    user, _, domain = sender.partition("@")
    msg["From"] = Address(f"Examenadministratie{_institution(note)}", user, domain)
    to_user, _, to_domain = email.partition("@")
    if not to_user or not to_domain:
        raise NotificationError(f"notification {ident}: field /email {email!r} is not an e-mail address")
    msg["To"] = Address(str(note.get("name") or ""), to_user, to_domain)
    component = note.get("component_name") or note.get("component_code")
    msg["Subject"] = str(note.get("subject") or f"Nieuw voorlopig resultaat: {component}")
    msg["Date"] = format_datetime(datetime.combine(registered, SEND_TIME, tzinfo=AMSTERDAM))  # type: ignore[arg-type]
    msg["Message-ID"] = f"<{_UNSAFE.sub('-', ident)}@{DOMAIN}>"
    msg["X-OKE-Association-Id"] = str(note.get("association_id", ""))
    msg.set_content(letter_body(note), subtype="plain", charset="utf-8", cte="quoted-printable")
    return msg


def write_outbox(notifications: Iterable[dict], outbox_dir: Path | str) -> list[Path]:
    """Write one .eml per notification; old .eml files go, so the folder matches the data exactly."""
    folder = Path(outbox_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.eml"):
        old.unlink()
    paths: list[Path] = []
    seen: set[str] = set()
    for i, raw in enumerate(notifications):
        note = normalise(raw)
        msg = build_message(note, i)
        name = _UNSAFE.sub("-", str(note["notification_id"])) + ".eml"
        if name in seen:
            raise NotificationError(f"notification {note['notification_id']}: /notification_id is not unique")
        seen.add(name)
        path = folder / name
        path.write_bytes(msg.as_bytes())
        paths.append(path)
    return paths


def add_result_dates(notifications: Iterable[dict], store: object) -> list[dict]:
    """Fill the dates a letter needs from the KRS store when the notification lacks them.

    A stopgap until `oke_core.reports.notifications` carries them itself (requested in
    INTERFACES.md 11a): keys already present are never overwritten. The store's current deadlines
    are used (a complaint upheld later may have moved them). One query for all notifications.
    """
    from oke_core.store import models

    notes = [dict(n) for n in notifications]
    wanted = {n.get("association_id") for n in notes}
    found: dict[str, dict] = {}
    for r in store.rows(models.Result):  # type: ignore[attr-defined]
        if r["association_id"] in wanted:
            found[r["association_id"]] = r
    for note in notes:
        r = found.get(str(note.get("association_id")))
        if r is None:
            continue
        extra = {
            "complaint_until": r.get("complaint_deadline"),
            "expected_definitive_on": r.get("establishment_due"),
            "attempt": r.get("attempt"),
            "score": f"{r['raw_score']} van {r['max_raw_score']} punten"
            if r.get("raw_score") is not None and r.get("max_raw_score")
            else None,
        }
        for key, value in extra.items():
            if note.get(key) in (None, "") and value not in (None, ""):
                note[key] = value.isoformat() if hasattr(value, "isoformat") else value
    return notes
