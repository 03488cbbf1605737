"""The nudge before posting: does this text look like it identifies the poster?

Used when a post or reply goes to a PUBLIC discussion, where anyone (and search
engines) can read it. It errs towards saying nothing: a nudge that fires on every
dosage or diagnosis date would teach members to click through it.

When it does speak, the member may edit (each detail is marked in what they typed),
narrow a new discussion to its communities, or post as it is after ticking an
explicit confirmation. Posting anonymously is not a way past it: anonymity hides the
author, not what the text says.
"""

import hashlib
import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.models import User
from discussions.models import Visibility

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
LABEL_ORDER = (EMAIL_LABEL, PHONE_LABEL, BIRTH_LABEL, ADDRESS_LABEL, NAME_LABEL)


@dataclass(frozen=True)
class Detail:
    """One identifying detail found in a text: what it looks like and where it is."""

    label: str
    start: int
    end: int
    text: str


def _blank(match: re.Match) -> str:
    # Same length, so what is found afterwards keeps its place in the original text.
    return " " * len(match.group())


def _phone_numbers(text: str) -> list[re.Match]:
    found = []
    for match in PHONE_CANDIDATE.finditer(text):
        candidate = match.group().strip()
        if DATE_INSIDE.search(candidate):
            continue
        digits = sum(character.isdigit() for character in candidate)
        if 9 <= digits <= 15:
            found.append(match)
    return found


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


def _name_mentions(text: str, names: list[str]) -> list[re.Match]:
    found = []
    for name in names:
        words = [re.escape(word) for word in name.split()]
        found.extend(re.finditer(r"\b" + r"\s+".join(words) + r"\b", text, re.IGNORECASE))
    return found


def identifying_spans(text: str, *, author: User | None) -> list[Detail]:
    """Every identifying detail in ``text`` with its place, in the order of the text."""
    text = text or ""
    without_emails = EMAIL.sub(_blank, text)
    found: list[tuple[str, re.Match]] = [(EMAIL_LABEL, match) for match in EMAIL.finditer(text)]
    found += [(PHONE_LABEL, match) for match in _phone_numbers(without_emails)]
    found += [(BIRTH_LABEL, match) for match in DATE_OF_BIRTH.finditer(without_emails)]
    found += [(ADDRESS_LABEL, match) for match in STREET_ADDRESS.finditer(without_emails)]
    found += [(ADDRESS_LABEL, match) for match in UK_POSTCODE.finditer(without_emails)]
    found += [(NAME_LABEL, match) for match in _name_mentions(text, _full_names(author))]
    details = []
    for label, match in found:
        # The phone pattern may take a space on either side: mark the number only.
        raw = match.group()
        start = match.start() + len(raw) - len(raw.lstrip())
        end = match.end() - len(raw) + len(raw.rstrip())
        details.append(Detail(label=label, start=start, end=end, text=text[start:end]))
    return sorted(details, key=lambda detail: (detail.start, -detail.end))


def identifying_details(text: str, *, author: User | None) -> list[str]:
    """What in ``text`` looks like it identifies someone, as labels for the notice."""
    labels = {detail.label for detail in identifying_spans(text, author=author)}
    return [label for label in LABEL_ORDER if label in labels]


def highlighted(text: str, details: list[Detail]) -> SafeString:
    """``text`` escaped, with each detail in <mark> (overlapping ones merged)."""
    parts: list[str] = []
    last = 0
    for detail in details:
        start = max(detail.start, last)
        if detail.end <= start:
            continue
        parts.append(escape(text[last:start]))
        parts.append(f"<mark>{escape(text[start : detail.end])}</mark>")
        last = detail.end
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped above


def fingerprints(details: list[Detail]) -> set[str]:
    """Short digests of the details, so a confirmation names what was shown without
    repeating it in the page. Case and spacing do not count as a change."""
    return {hashlib.sha256(" ".join(detail.text.lower().split()).encode()).hexdigest()[:16] for detail in details}


# --- The nudge itself ---------------------------------------------------------------

CHOICE_EDIT = "edit"
CHOICE_COMMUNITY = "community"
CHOICE_AS_IS = "anyway"
UNCONFIRMED_MESSAGE = (
    "To post it as it is, tick the box to confirm that anyone may read these details. "
    "Or edit the text and check it again."
)
CHANGED_MESSAGE = "Your text now has details you have not confirmed yet. They are marked below."


@dataclass(frozen=True)
class TypedField:
    """A field of the form being checked: its input id, its name, and what was typed."""

    id: str
    name: str
    text: str


@dataclass
class MarkedField:
    id: str
    name: str
    html: SafeString


@dataclass
class Nudge:
    labels: list[str]
    fields: list[MarkedField]
    reviewed: str
    error: str = ""

    @property
    def first_field_id(self) -> str:
        return self.fields[0].id


def privacy_nudge(
    *,
    author: User,
    fields: list[TypedField],
    visibility: str,
    choice: str,
    confirmed: bool,
    reviewed: str,
) -> Nudge | None:
    """What to show before a post goes out, or None when it may go out now.

    ``choice`` is the nudge button pressed, ``confirmed`` the confirmation box and
    ``reviewed`` the fingerprints of the details the member was shown. Posting as it
    is goes through only when confirmed and every detail in the text now was among
    those shown, so a detail added on the way is never confirmed unseen.
    """
    if visibility != Visibility.PUBLIC:
        return None
    found = [(field, identifying_spans(field.text, author=author)) for field in fields]
    details = [detail for _, spans in found for detail in spans]
    if not details:
        return None
    shown = fingerprints(details)
    if choice == CHOICE_AS_IS and confirmed and shown <= set(reviewed.split(",")):
        return None
    error = ""
    if choice == CHOICE_AS_IS:
        error = CHANGED_MESSAGE if confirmed else UNCONFIRMED_MESSAGE
    labels = {detail.label for detail in details}
    return Nudge(
        labels=[label for label in LABEL_ORDER if label in labels],
        fields=[
            MarkedField(id=field.id, name=field.name, html=highlighted(field.text, spans))
            for field, spans in found
            if spans
        ],
        reviewed=",".join(sorted(shown)),
        error=error,
    )
