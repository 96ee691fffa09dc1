"""django-allauth adapter: phone numbers as login identities, codes sent by SMS."""

import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.fields import PhoneField
from django.contrib import messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import User
from .phones import normalize_phone
from .sms import SmsError, send_sms

logger = logging.getLogger("yishi.sms")


class MainlandPhoneField(PhoneField):
    """allauth's phone field, accepting the 11-digit numbers people actually type."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("validators", [])
        kwargs["label"] = gettext_lazy("Mobile number")
        kwargs.setdefault("max_length", 20)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update(
            {"placeholder": "13812345678", "inputmode": "tel", "autocomplete": "tel"}
        )


class AccountAdapter(DefaultAccountAdapter):
    def phone_form_field(self, **kwargs):
        return MainlandPhoneField(**kwargs)

    def clean_phone(self, phone: str) -> str:
        return normalize_phone(phone)

    def _send(self, phone: str, text: str) -> None:
        try:
            send_sms(phone, text)
        except SmsError:
            logger.exception("The SMS gateway refused a message to %s", phone)
            messages.error(
                self.request,
                _("We could not send a text to this number just now. Try again in a minute."),
            )

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        self._send(
            phone,
            _("[Yishi] Your code is %(code)s. It expires in a few minutes; do not share it.")
            % {"code": code},
        )

    def send_unknown_account_sms(self, phone: str, **kwargs) -> None:
        self._send(
            phone,
            _(
                "[Yishi] Someone asked to sign in with this number, "
                "but it has no account. Sign up first."
            ),
        )

    def send_account_already_exists_sms(self, phone: str) -> None:
        self._send(
            phone,
            _(
                "[Yishi] Someone tried to sign up with this number, "
                "which already has an account. Sign in instead."
            ),
        )

    def set_phone(self, user: User, phone: str, verified: bool) -> None:
        user.phone = phone
        user.phone_verified = verified
        if user.pk:
            user.save(update_fields=["phone", "phone_verified"])

    def get_phone(self, user: User):
        return (user.phone, user.phone_verified) if user.phone else None

    def set_phone_verified(self, user: User, phone: str) -> None:
        User.objects.filter(pk=user.pk, phone=phone).update(phone_verified=True)
        user.phone_verified = True

    def get_user_by_phone(self, phone: str):
        return User.objects.filter(phone=phone).first()

    def populate_username(self, request, user) -> None:
        """Accounts have no username; the phone number is the identity."""
