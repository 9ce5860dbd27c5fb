"""Sends one mail with Django's own SMTP backend, configured as a Django project would be.

Usage: python django_send_mail.py PORT. STARTTLS verifies the server's certificate, trusted
through SSL_CERT_FILE.
"""

import sys

from django.conf import settings

settings.configure(
    EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
    EMAIL_HOST="localhost",
    EMAIL_PORT=int(sys.argv[1]),
    EMAIL_USE_TLS=True,
    EMAIL_HOST_USER="django-app",
    EMAIL_HOST_PASSWORD="app-password",
    EMAIL_TIMEOUT=10,
    DEFAULT_FROM_EMAIL="noreply@shop.example",
)

from django.core.mail import send_mail  # noqa: E402  (needs the settings above)

sent = send_mail("Welcome", "Thanks for signing up.", None, ["new.user@example.com"])
print(f"sent {sent}")
