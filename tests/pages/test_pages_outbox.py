"""Student e-mails: the policy's template with the right dates, as .eml, and real SMTP delivery."""

from __future__ import annotations

import socket
from email import policy as email_policy
from email.parser import BytesParser
from pathlib import Path

import pages_sample_data as sample_data
import pytest
from aiosmtpd.controller import Controller
from hypothesis import given, settings
from hypothesis import strategies as st

from oke_core.pages import send_outbox, write_outbox
from oke_core.pages.letters import NotificationError, fill_template
from oke_core.pages.smtp import DeliveryError
from oke_core.policy import load_policy


def _read(path: Path):  # type: ignore[no-untyped-def]
    with path.open("rb") as fh:
        return BytesParser(policy=email_policy.default).parse(fh)


def test_letter_carries_the_policy_text_and_the_dates(tmp_path: Path) -> None:
    template = load_policy("eduarte").notification_template
    assert template
    [path] = write_outbox(sample_data.notifications(template), tmp_path)
    msg = _read(path)
    assert msg["To"] == "Sanne de Vries <sanne.devries@student.example>"
    assert msg["Subject"] == "Nieuw voorlopig resultaat: Nederlands lezen 2F"
    assert msg["Date"] == "Fri, 18 Sep 2026 08:00:00 +0200"
    assert msg["Message-ID"] == "<6f1c0000-0000-4000-8000-000000000001-v1@krs.example>"
    body = msg.get_content()
    # Every line of the policy's template appears, in order, before the dates.
    lines = [line for line in template.splitlines() if line.strip()]
    pos = 0
    for line in lines:
        pos = body.index(line, pos)
    assert "Inzage of klacht:    tot en met vrijdag 2 oktober 2026" in body
    assert "Definitief:          op vrijdag 9 oktober 2026" in body
    assert "Beroep bij de CBE:   tot en met vrijdag 23 oktober 2026" in body
    assert "Voorlopig resultaat: 6,8" in body
    assert body.index("Belangrijke data") > pos


def test_a_changed_policy_template_changes_the_letter(tmp_path: Path) -> None:
    template = "Hoi {name}, je hebt een nieuw cijfer voor {component_name} op {registered_on}."
    notes = sample_data.notifications(template)
    [path] = write_outbox(notes, tmp_path)
    body = _read(path).get_content()
    assert body.startswith(
        "Hoi Sanne de Vries, je hebt een nieuw cijfer voor Nederlands lezen 2F op vrijdag 18 september 2026."
    )
    assert "Er is een nieuw resultaat toegevoegd" not in body


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
@settings(max_examples=60)
def test_any_template_text_survives_unknown_braces(text: str) -> None:
    """Text without known placeholders is kept exactly; filling never raises."""
    note = {"name": "X"}
    filled = fill_template(text, note)
    assert filled == text.replace("{name}", "X")


def test_no_notifications_writes_no_files_and_clears_old_ones(tmp_path: Path) -> None:
    template = load_policy("eduarte").notification_template
    write_outbox(sample_data.notifications(template), tmp_path)
    assert len(list(tmp_path.glob("*.eml"))) == 1
    assert write_outbox([], tmp_path) == []
    assert list(tmp_path.glob("*.eml")) == []


def test_missing_email_is_a_clear_error(tmp_path: Path) -> None:
    notes = sample_data.notifications("tekst")
    notes[0]["email"] = None
    with pytest.raises(NotificationError, match=r"notification .*-v1: field /email is required"):
        write_outbox(notes, tmp_path)


def test_outbox_is_byte_identical_on_rerun(tmp_path: Path) -> None:
    template = load_policy("eduarte").notification_template
    [a] = write_outbox(sample_data.notifications(template), tmp_path / "a")
    [b] = write_outbox(sample_data.notifications(template), tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()


class _Collect:
    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_outbox_is_delivered_to_a_real_smtp_server_on_loopback(tmp_path: Path) -> None:
    template = load_policy("eduarte").notification_template
    notes = sample_data.notifications(template)
    second = dict(notes[0], notification_id="n-2", email="mo@student.example", name="Mo")
    paths = write_outbox([notes[0], second], tmp_path)
    handler = _Collect()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert send_outbox(paths, "127.0.0.1", port) == 2
    finally:
        controller.stop()
    assert [r[1] for r in handler.received] == [["sanne.devries@student.example"], ["mo@student.example"]]
    assert all(r[0] == "examenadministratie@krs.example" for r in handler.received)
    delivered = BytesParser(policy=email_policy.default).parsebytes(handler.received[0][2])
    assert delivered["Message-ID"] == _read(paths[0])["Message-ID"]
    assert "Belangrijke data" in delivered.get_content()


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    paths = write_outbox(sample_data.notifications("tekst"), tmp_path)
    port = _free_port()
    with pytest.raises(DeliveryError, match=rf"cannot deliver the outbox to 127.0.0.1:{port}"):
        send_outbox(paths, "127.0.0.1", port, timeout=2)


def test_letter_never_promises_definitive_inside_the_complaint_window(tmp_path: Path) -> None:
    notes = sample_data.notifications("tekst")
    notes[0]["complaint_until"], notes[0]["definitive_on"] = "2026-10-09", "2026-10-02"
    [path] = write_outbox(notes, tmp_path)
    body = _read(path).get_content()
    assert "Definitief:          na afloop van de klachttermijn, dus na vrijdag 9 oktober 2026" in body
    assert "op vrijdag 2 oktober 2026" not in body
