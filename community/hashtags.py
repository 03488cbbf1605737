"""Hashtag text: how a typed tag becomes the one canonical form."""

import re
import unicodedata

MAX_HASHTAG_LENGTH = 40
HASHTAG_PATTERN = re.compile(r"^[a-z0-9]+$")
# A hashtag inside prose: '#' not preceded by a word character or '&' (HTML entities).
HASHTAG_IN_TEXT = re.compile(r"(?<![\w&#/])#([A-Za-z0-9]{1,40})\b")


class InvalidHashtag(ValueError):
    pass


def normalise_hashtag(raw: str) -> str:
    """Lower-case, NFKC-folded, without '#'. Raises InvalidHashtag with a reason a member can read.

    NFKC turns full-width and styled letters into plain ones; anything that is
    still not a-z or 0-9 afterwards (Cyrillic lookalikes, punctuation, spaces)
    is refused rather than silently mapped, so one name has one community.
    """
    text = unicodedata.normalize("NFKC", raw).strip().lstrip("#").casefold()
    if not text:
        raise InvalidHashtag("A hashtag needs at least one letter or digit after the #.")
    if len(text) > MAX_HASHTAG_LENGTH:
        raise InvalidHashtag(f"Hashtags can be at most {MAX_HASHTAG_LENGTH} characters long.")
    if not HASHTAG_PATTERN.match(text):
        shown = "".join(ch for ch in text if ch.isprintable())[:MAX_HASHTAG_LENGTH]
        raise InvalidHashtag(f"“#{shown}” can only use the letters a to z and digits.")
    return text


def split_hashtag_field(raw: str) -> list[str]:
    """Split what a member typed in a tag field: spaces or commas, with or without '#'."""
    return [part for part in re.split(r"[\s,]+", raw) if part.strip("#")]


def hashtags_in_text(text: str) -> list[str]:
    return [match.group(1).lower() for match in HASHTAG_IN_TEXT.finditer(text)]
