"""Reading what a member is about to post: crisis words, and keyword rule patterns.

Two jobs, both on bounded text and both designed so no input can stall a worker.

Crisis detection
    A curated list of first-person phrases that suggest suicidal intent or
    self-harm. Text is normalised (NFKC, case-folded, curly apostrophes made
    straight, whitespace collapsed) and split into clauses; a phrase counts unless
    a negation ("not", "never", "n't" ...) stands within three words before it in
    the same clause, without a word such as "stop" that turns the negation back
    ("I can't stop wanting to die"). Idioms ("this fatigue is killing me", "dying
    to try it") are simply not on the list. Detection never blocks a post: it
    only shows the poster crisis resources and puts the post on top of the queue.
    The phrasings that must and must not trigger live in
    tests/moderation/test_crisis.py; extend both lists together.

Keyword rule patterns
    A plain rule (``is_regex=False``) is a word or phrase matched case-insensitively
    on word boundaries (Unicode letters and digits count as word characters). A
    regex rule is compiled by RE2 (google-re2), which matches in time linear in the
    text by construction: there is no backtracking to bound, so ``(a+)+$`` is as
    safe as ``spam``. What RE2 cannot do is refused with the reason when the rule
    is saved: backreferences, lookahead and lookbehind, atomic groups, possessive
    repeats, conditionals, repeats over 1,000, and programs bigger than
    ``MAX_PATTERN_MEMORY``. Patterns are at most 200 characters and matched
    case-insensitively (Unicode case folding) on at most ``MAX_SCREENED_CHARS``
    characters of text.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import re2
from django.core.exceptions import ValidationError

MAX_SCREENED_CHARS = 20_000
MAX_PATTERN_LENGTH = 200
# RE2's budget for one compiled rule; a pattern whose program needs more is refused.
MAX_PATTERN_MEMORY = 1 << 20

# --- Normalising ----------------------------------------------------------------

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_CLAUSE_BREAK = re.compile(r"[.!?;:\n]+|,\s*(?:but|though|although)\b|\bbut\b")
_WORD = re.compile(r"[a-z0-9']+")


def normalise_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text[:MAX_SCREENED_CHARS]).casefold().translate(_APOSTROPHES)
    return re.sub(r"[ \t]+", " ", text.replace("\r", ""))


# --- Crisis phrases ---------------------------------------------------------------

# Word sequences as they read after normalising (apostrophes straightened).
CRISIS_PHRASES: tuple[str, ...] = (
    "kill myself",
    "killing myself",
    "end my life",
    "ending my life",
    "end it all",
    "take my own life",
    "taking my own life",
    "want to die",
    "wanna die",
    "wanting to die",
    "wish i was dead",
    "wish i were dead",
    "wish i wasn't alive",
    "better off dead",
    "better off without me",
    "no reason to live",
    "nothing to live for",
    "don't want to live",
    "don't want to be alive",
    "don't want to be here anymore",
    "don't want to wake up",
    "can't go on",
    "can't do this anymore",
    "suicidal",
    "suicide note",
    "planning suicide",
    "plan to overdose",
    "thinking of overdosing",
    "thinking about overdosing",
    "hurt myself",
    "hurting myself",
    "harm myself",
    "harming myself",
    "self harm",
    "self-harm",
    "self harming",
    "self-harming",
    "cut myself",
    "cutting myself",
    "cutting again",
)

# Phrases that contain their own negation ("don't want to live") are matched as a
# whole, so the negation check looks only at the words before the phrase.
NEGATIONS = frozenset(
    {
        "not",
        "never",
        "no",
        "don't",
        "dont",
        "didn't",
        "won't",
        "wont",
        "wouldn't",
        "isn't",
        "wasn't",
        "aren't",
        "nor",
        "without",
        "stopped",
        "longer",  # "no longer suicidal"
    }
)
# Words between a negation and the phrase that undo it: "can't stop wanting to die".
NEGATION_BREAKERS = frozenset({"stop", "help", "keep", "quit", "but"})
# What follows a phrase and makes it an idiom: "I could kill myself laughing".
IDIOM_TAILS = ("laughing", "with laughter", "lol")
NEGATION_WINDOW = 3

_CONTRACTIONS = {"don't": ("do not", "dont"), "can't": ("cannot", "can not", "cant")}


def _with_spellings(phrases: tuple[str, ...]) -> tuple[str, ...]:
    """Each phrase as typed with and without its contraction ("don't", "do not", "dont")."""
    spelled: list[str] = []
    for phrase in phrases:
        variants = [phrase]
        for contraction, spellings in _CONTRACTIONS.items():
            if contraction in phrase:
                variants += [phrase.replace(contraction, spelling) for spelling in spellings]
        spelled += [variant for variant in variants if variant not in spelled]
    return tuple(spelled)


_PHRASE_PATTERNS = tuple(
    (phrase, re.compile(r"(?<![a-z0-9'])" + re.escape(phrase).replace(r"\ ", r"\s") + r"(?![a-z0-9'])"))
    for phrase in _with_spellings(CRISIS_PHRASES)
)


@dataclass(frozen=True)
class CrisisMatch:
    phrase: str
    clause: str


def _is_negated(words_before: list[str]) -> bool:
    window = words_before[-NEGATION_WINDOW:]
    for position in range(len(window) - 1, -1, -1):
        word = window[position]
        if word in NEGATION_BREAKERS:
            return False
        if word in NEGATIONS or word.endswith("n't"):
            return True
    return False


def find_crisis_phrases(text: str) -> list[CrisisMatch]:
    """First-person crisis phrases in the text that are not negated or idiomatic."""
    found: list[CrisisMatch] = []
    for clause in _CLAUSE_BREAK.split(normalise_text(text)):
        clause = " ".join(clause.split())
        if not clause:
            continue
        for phrase, pattern in _PHRASE_PATTERNS:
            for match in pattern.finditer(clause):
                before = _WORD.findall(clause[: match.start()])
                after = clause[match.end() :].lstrip()
                if _is_negated(before):
                    continue
                if after.startswith(IDIOM_TAILS):
                    continue
                found.append(CrisisMatch(phrase=phrase, clause=clause))
                break
    return found


def suggests_crisis(text: str) -> bool:
    return bool(find_crisis_phrases(text))


# --- Keyword patterns -----------------------------------------------------------------

_NOT_IN_RE2 = "{} are not available: rules run on RE2, which matches in linear time and has none."
_LOOKAROUND = _NOT_IN_RE2.format("Lookahead and lookbehind")
_BACKREFERENCE = _NOT_IN_RE2.format("Backreferences")
_POSSESSIVE = "Possessive repeats (*+ ++ ?+) are not available; a plain * or + is safe here."
# RE2's own messages, in the moderator's words. The first matching prefix wins.
_RE2_REFUSALS = (
    ("invalid perl operator: (?=", _LOOKAROUND),
    ("invalid perl operator: (?!", _LOOKAROUND),
    ("invalid perl operator: (?<", _LOOKAROUND),
    ("invalid escape sequence: \\k", _BACKREFERENCE),
    ("invalid escape sequence: \\g", _BACKREFERENCE),
    ("invalid perl operator: (?>", _NOT_IN_RE2.format("Atomic groups")),
    ("invalid perl operator: (?(", _NOT_IN_RE2.format("Conditionals")),
    ("invalid perl operator: (?#", "Comments are not available in patterns."),
    ("bad repetition operator: *+", _POSSESSIVE),
    ("bad repetition operator: ++", _POSSESSIVE),
    ("bad repetition operator: ?+", _POSSESSIVE),
    ("invalid repetition size", "Repeat counts such as {1,5} can be at most 1000."),
    ("pattern too large", "This pattern is too large; split it into simpler rules."),
)
# Python's \w is Unicode-aware but RE2's is ASCII only: a plain rule's word boundary is spelled out so
# that "café" does not match inside "cafés". Consuming the neighbouring character is harmless: screening
# only asks whether a rule matches, never where.
_NOT_WORD = r"[^\pL\pN_]"


def _re2_options() -> re2.Options:
    options = re2.Options()
    options.case_sensitive = False
    options.never_capture = True
    options.max_mem = MAX_PATTERN_MEMORY
    # A refused pattern is answered to the moderator; RE2 need not also write it to stderr.
    options.log_errors = False
    return options


def _refusal_for(pattern: str, error: re2.error) -> str:
    message = error.args[0].decode(errors="replace") if isinstance(error.args[0], bytes) else str(error.args[0])
    # RE2 names only "(?P" for a named backreference and only the escape for a numbered one.
    if "(?P=" in pattern or (message.startswith("invalid escape sequence: \\") and message[-1:].isdigit()):
        return _BACKREFERENCE
    for prefix, refusal in _RE2_REFUSALS:
        if message.startswith(prefix):
            return refusal
    return f"This is not a valid pattern ({message})."


def _plain_rule_regex(pattern: str) -> str:
    words = [re2.escape(word) for word in pattern.casefold().split()]
    return f"(?:^|{_NOT_WORD})" + r"[\s\pZ]{1,5}".join(words) + f"(?:{_NOT_WORD}|$)"


@lru_cache(maxsize=1024)
def _compile(pattern: str, *, is_regex: bool) -> re2._Regexp:
    # Keyed by the pattern itself, so an edited rule compiles afresh and an unchanged one is compiled once
    # per process rather than on every post screened.
    try:
        return re2.compile(pattern if is_regex else _plain_rule_regex(pattern), _re2_options())
    except re2.error as error:
        raise ValidationError(_refusal_for(pattern, error)) from None


def validate_keyword_pattern(pattern: str, *, is_regex: bool) -> None:
    """Refuse patterns that are empty, too long, with control characters, or (for regex rules) that RE2
    cannot compile, with the reason."""
    if not pattern or not pattern.strip():
        raise ValidationError("Write a word, phrase or pattern.")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ValidationError(f"Patterns can be at most {MAX_PATTERN_LENGTH} characters long.")
    if any(not ch.isprintable() for ch in pattern):
        raise ValidationError("Patterns cannot contain control characters.")
    _compile(pattern, is_regex=is_regex)


def compile_keyword_pattern(pattern: str, *, is_regex: bool) -> re2._Regexp:
    """The compiled matcher for a validated rule (validates again: rows may predate a check)."""
    validate_keyword_pattern(pattern, is_regex=is_regex)
    return _compile(pattern, is_regex=is_regex)


def keyword_matches(pattern: str, *, is_regex: bool, text: str) -> bool:
    try:
        matcher = compile_keyword_pattern(pattern, is_regex=is_regex)
    except ValidationError:
        return False
    return matcher.search(normalise_text(text)) is not None
