"""Optional delivery of the outbox to a real SMTP server (the institution's relay)."""

from __future__ import annotations

import smtplib
from collections.abc import Iterable
from email import policy
from email.parser import BytesParser
from pathlib import Path


class DeliveryError(RuntimeError):
    """Delivery failed; names the file and the server's answer."""


def send_outbox(
    paths: Iterable[Path | str],
    smtp_host: str,
    smtp_port: int = 25,
    *,
    starttls: bool = False,
    username: str | None = None,
    password: str | None = None,
    timeout: float = 10.0,
) -> int:
    """Send each .eml over one SMTP connection; returns how many were accepted."""
    files = [Path(p) for p in paths]
    if not files:
        return 0
    sent = 0
    try:
        with smtplib.SMTP(smtp_host, smtp_port, timeout=timeout) as smtp:
            if starttls:
                smtp.starttls()
            if username:
                smtp.login(username, password or "")
            for path in files:
                with path.open("rb") as fh:
                    msg = BytesParser(policy=policy.default).parse(fh)
                try:
                    refused = smtp.send_message(msg)
                except smtplib.SMTPException as exc:
                    raise DeliveryError(
                        f"{path}: SMTP server {smtp_host}:{smtp_port} refused the message: {exc}"
                    ) from exc
                if refused:
                    raise DeliveryError(f"{path}: SMTP server refused recipient(s) {sorted(refused)}")
                sent += 1
    except OSError as exc:
        raise DeliveryError(f"cannot deliver the outbox to {smtp_host}:{smtp_port}: {exc}") from exc
    return sent
