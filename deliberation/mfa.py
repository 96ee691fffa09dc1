"""Two-factor secrets are encrypted at rest, so a copy of the database alone cannot
produce staff members' codes."""

import base64
import hashlib

from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet
from django.conf import settings

PREFIX = "fernet:"


def _fernet() -> Fernet:
    key = settings.YISHI_MFA_KEY or settings.SECRET_KEY
    digest = hashlib.sha256(f"yishi.mfa:{key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


class MfaAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return PREFIX + _fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(PREFIX):
            return encrypted_text
        return _fernet().decrypt(encrypted_text.removeprefix(PREFIX).encode()).decode()
