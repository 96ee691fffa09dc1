"""allauth's code forms, with the number pad on phones.

Kept apart from forms.py: allauth imports forms.py (ACCOUNT_SIGNUP_FORM_CLASS) while
building its own forms, so forms.py must not import allauth's forms.
"""

from allauth.account import forms as account_forms
from allauth.mfa.totp import forms as totp_forms


class NumericCodeMixin:
    """SMS and authenticator codes are digits: phones should show the number pad."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6"}
        )


class ConfirmLoginCodeForm(NumericCodeMixin, account_forms.ConfirmLoginCodeForm):
    pass


class VerifyPhoneForm(NumericCodeMixin, account_forms.VerifyPhoneForm):
    pass


class ActivateTOTPForm(NumericCodeMixin, totp_forms.ActivateTOTPForm):
    pass
