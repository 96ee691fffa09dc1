"""Print the current TOTP code of a demo staff account (development only)."""

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from deliberation.models import User
from deliberation.phones import normalize_phone


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo staff account. Refused in production."

    def add_arguments(self, parser):
        parser.add_argument("phone", help="the account's mobile number, e.g. 13900000001")

    def handle(self, *args, phone: str, **options):
        if settings.PRODUCTION:
            raise CommandError("demo_totp is for development only.")
        try:
            user = User.objects.get(phone=normalize_phone(phone))
        except Exception as error:
            raise CommandError(f"No account with the number {phone}.") from error
        authenticator = Authenticator.objects.filter(
            user=user, type=Authenticator.Type.TOTP
        ).first()
        if authenticator is None:
            raise CommandError(f"{phone} has no two-factor authenticator.")
        secret = decrypt(authenticator.data["secret"])
        counter = next(yield_hotp_counters_from_time())
        self.stdout.write(format_hotp_value(hotp_value(secret, counter)))
