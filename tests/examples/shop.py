"""A stand-in for the application under test: it mails a confirmation for each order."""

from __future__ import annotations

import smtplib
import types
from email.message import EmailMessage

settings = types.SimpleNamespace(SMTP_HOST="mail.example.com:25")

SHOP_ADDRESS = "shop@example.com"


def place_order(customer: str, item: str) -> None:
    """Send the order confirmation through ``settings.SMTP_HOST`` ("host:port")."""
    mail = EmailMessage()
    mail["Subject"] = "Thank you for your order"
    mail["From"] = SHOP_ADDRESS
    mail["To"] = customer
    mail.set_content(f"Your order will be with you soon: one {item}.")
    with smtplib.SMTP(settings.SMTP_HOST, timeout=10) as connection:
        connection.send_message(mail)
