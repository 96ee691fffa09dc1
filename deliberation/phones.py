"""Mobile numbers, the login identity. One rule for sign-up, imports and the back office."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def normalize_phone(raw: str) -> str:
    """A mainland mobile number in E.164 form (+86…), or ValidationError in plain words.

    Only mainland mobiles can receive the sign-in codes our SMS gateway sends.
    """
    raw = (raw or "").strip().replace(" ", "").replace("-", "")
    message = _("Enter a mobile number, such as 13812345678.")
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        raise ValidationError(message, code="invalid_phone") from None
    if (
        number.country_code != 86
        or number.extension
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE
    ):
        raise ValidationError(message, code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
