"""The receipt as an email: the printed lines as plain text and as simple HTML, in the patron's
language, and the address as the patron sees it before sending (masked: someone behind them
reads the screen too)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from kiosk_app.i18n import Lang, t
from kiosk_app.receipt import Receipt


@dataclass(frozen=True, slots=True)
class ReceiptMail:
    subject: str
    text: str
    html: str


def mask_address(address: str) -> str:
    """``kim.minji@example.org`` → ``k***@example.org``: enough to recognise, not to copy."""
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"


def receipt_mail(receipt: Receipt, lang: Lang, library: str) -> ReceiptMail:
    """The mail of one receipt: the same lines as on paper, then the visit number."""
    subject = t(lang, "mail_subject", library=library)
    closing = t(lang, "mail_closing")
    text = "\n".join((*receipt.lines, "", closing)) + "\n"
    title, *rest = receipt.lines
    rows = "".join(f"<tr><td style=\"padding:2px 0;white-space:pre-wrap\">{escape(line) or '&nbsp;'}</td></tr>"
                   for line in rest)
    html = (f"<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(subject)}</title></head>"
            f"<body style=\"font-family:sans-serif\"><h2>{escape(title)}</h2>"
            f"<table role=\"presentation\">{rows}</table>"
            f"<p style=\"color:#555\">{escape(closing)}</p></body></html>")
    return ReceiptMail(subject, text, html)
