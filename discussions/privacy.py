"""The nudge before posting: does this text look like it identifies the poster?

Used when a post or reply goes to a PUBLIC discussion, where anyone (and search
engines) can read it. It errs towards saying nothing: a nudge that fires on every
dosage or diagnosis date would teach members to click through it.
"""

import re

from accounts.models import User

EMAIL = re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# A run of digits with phone-style separators; checked for 9-15 digits below.
PHONE_CANDIDATE = re.compile(r"(?<![\w/.:-])\+?\(?\d[\d\s().-]{6,}\d(?![\w/:-])")
DATE_INSIDE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")
MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY_MONTH = rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTHS}\b(?:,?\s+\d{{4}})?"
_MONTH_DAY = rf"{MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
_NUMERIC = r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}"
A_DATE = rf"(?:{_DAY_MONTH}|{_MONTH_DAY}|{_NUMERIC})"
DATE_OF_BIRTH = re.compile(
    rf"(?:\b(?:d\.?o\.?b\.?|date\s+of\s+birth|birth\s*date|birthday)\b\s*(?:is|was|:|-)?\s*{A_DATE}"
    rf"|\bborn\s+(?:on\s+)?(?:the\s+)?{A_DATE})",
    re.IGNORECASE,
)
STREET_SUFFIX = (
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Close|Way|Boulevard|Blvd|Court|Crescent|Terrace|Place|Gardens)"
)
STREET_ADDRESS = re.compile(rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][a-z']+\s+){{1,3}}{STREET_SUFFIX}\b")
UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2}\b")

EMAIL_LABEL = "an email address"
PHONE_LABEL = "a phone number"
BIRTH_LABEL = "a date of birth"
ADDRESS_LABEL = "a street address"
NAME_LABEL = "your full name"


def _has_phone_number(text: str) -> bool:
    for match in PHONE_CANDIDATE.finditer(text):
        candidate = match.group().strip()
        if DATE_INSIDE.search(candidate):
            continue
        digits = sum(character.isdigit() for character in candidate)
        if 9 <= digits <= 15:
            return True
    return False


def _full_names(author: User | None) -> list[str]:
    """Names that, written out, identify the poster: a display name of two or more
    words, and first plus last name when both are set."""
    if author is None or not getattr(author, "pk", None):
        return []
    names = []
    display = " ".join((author.display_name or "").split())
    if " " in display:
        names.append(display)
    full = " ".join(f"{author.first_name} {author.last_name}".split())
    if author.first_name and author.last_name:
        names.append(full)
    return names


def _mentions_name(text: str, names: list[str]) -> bool:
    for name in names:
        words = [re.escape(word) for word in name.split()]
        if re.search(r"\b" + r"\s+".join(words) + r"\b", text, re.IGNORECASE):
            return True
    return False


def identifying_details(text: str, *, author: User | None) -> list[str]:
    """What in ``text`` looks like it identifies someone, as labels for the notice."""
    text = text or ""
    found = []
    without_emails = EMAIL.sub(" ", text)
    if EMAIL.search(text):
        found.append(EMAIL_LABEL)
    if _has_phone_number(without_emails):
        found.append(PHONE_LABEL)
    if DATE_OF_BIRTH.search(without_emails):
        found.append(BIRTH_LABEL)
    if STREET_ADDRESS.search(without_emails) or UK_POSTCODE.search(without_emails):
        found.append(ADDRESS_LABEL)
    if _mentions_name(text, _full_names(author)):
        found.append(NAME_LABEL)
    return found
