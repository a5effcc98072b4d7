"""Phone numbers in E.164 form (+358401234567), so the same number typed two ways is one
contact and an SMS provider gets what it expects. Numbers without a country code are read as
Finnish unless another default region is given."""

from __future__ import annotations

import functools

import phonenumbers

DEFAULT_REGION = "FI"


class InvalidPhone(ValueError):
    pass


@functools.lru_cache(maxsize=65_536)
def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """The number in E.164 form, "" for empty input; raises InvalidPhone.

    Cached: parsing costs tens of microseconds, and a file of events or contacts names the
    same customers again and again (the checks of an upload, then its job)."""
    text = (raw or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("not a valid phone number") from None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Number types that cannot receive a text message. Anything else — mobile, "fixed line or
# mobile" (as North American numbers are), VoIP, unknown — is given the benefit of the doubt.
NO_SMS_TYPES = frozenset(
    {
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.TOLL_FREE,
        phonenumbers.PhoneNumberType.PREMIUM_RATE,
        phonenumbers.PhoneNumberType.SHARED_COST,
        phonenumbers.PhoneNumberType.UAN,
        phonenumbers.PhoneNumberType.VOICEMAIL,
    }
)


def can_receive_sms(e164: str) -> bool:
    """False for a number that is certainly not a mobile one (a landline, a service number)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) not in NO_SMS_TYPES
