"""Phone numbers: validated with phonenumbers, stored in E.164."""

from __future__ import annotations

import phonenumbers


def parse_phone(raw: str, default_region: str | None) -> str | None:
    """'+212 612-345678' or '0612345678' (region MA) -> '+212612345678'; None if not valid."""
    text = raw.strip()
    if not 6 <= len(text) <= 30:
        return None
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
