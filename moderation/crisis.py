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
    on word boundaries. A regex rule uses Python's ``re`` restricted to a safe
    subset, checked on the parsed pattern before it is stored:

    - at most 200 characters, drawn from an allow-list (letters, digits, spaces
      and ``. \\ | ( ) [ ] ? { } , ^ $ - _ ' :``); ``*`` and ``+`` are refused,
      write ``{0,20}`` / ``{1,20}`` instead;
    - repetition only of a single character or character class, at most 20
      times, never of a group (so no nested quantifiers such as ``(a+)+``);
    - no backreferences, lookarounds, conditionals or inline flags;
    - the product of all repetition ranges and alternation widths (the most
      backtracking one starting position can cause) is at most 2,000.

    Matching runs on at most ``MAX_SCREENED_CHARS`` characters, so a search costs
    at most (text length) x (that budget) steps.
"""

import re
import unicodedata
from dataclasses import dataclass
from re import _constants as c  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]

from django.core.exceptions import ValidationError

MAX_SCREENED_CHARS = 20_000
MAX_PATTERN_LENGTH = 200
MAX_REPEAT = 20
MAX_BACKTRACK_BUDGET = 2_000

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

_PATTERN_ALLOWED = re.compile(r"[\w\s.\\|()\[\]?{},^$\-':]*")


def _check_subpattern(items, *, inside_repeat: bool) -> int:
    """Walk the parsed pattern; return its backtracking budget or raise ValidationError."""
    budget = 1
    single_char = {c.LITERAL, c.NOT_LITERAL, c.ANY, c.IN, c.CATEGORY}
    for op, arg in items:
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
            low, high, body = arg
            if high == c.MAXREPEAT or high > MAX_REPEAT:
                raise ValidationError(f"Repeat at most {MAX_REPEAT} times, written like {{1,{MAX_REPEAT}}}.")
            if inside_repeat or len(body) != 1 or body[0][0] not in single_char:
                raise ValidationError("Only a single character or [class] may be repeated, not a group.")
            budget *= high - low + 1
        elif op == c.BRANCH:
            _, branches = arg
            widths = [_check_subpattern(branch, inside_repeat=inside_repeat) for branch in branches]
            budget *= sum(widths)
        elif op == c.SUBPATTERN:
            _group, add_flags, del_flags, body = arg
            if add_flags or del_flags:
                raise ValidationError("Inline flags are not allowed; rules already ignore case.")
            budget *= _check_subpattern(body, inside_repeat=inside_repeat)
        elif op in (c.GROUPREF, c.GROUPREF_EXISTS):
            raise ValidationError("Backreferences are not allowed.")
        elif op in (c.ASSERT, c.ASSERT_NOT):
            raise ValidationError("Lookahead and lookbehind are not allowed.")
        elif op == getattr(c, "ATOMIC_GROUP", None):
            raise ValidationError("Atomic groups are not allowed.")
        if budget > MAX_BACKTRACK_BUDGET:
            raise ValidationError("This pattern is too complex; split it into simpler rules.")
    return budget


def validate_keyword_pattern(pattern: str, *, is_regex: bool) -> None:
    """Refuse patterns that are empty, too long, or (for regex rules) outside the safe subset."""
    if not pattern or not pattern.strip():
        raise ValidationError("Write a word, phrase or pattern.")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ValidationError(f"Patterns can be at most {MAX_PATTERN_LENGTH} characters long.")
    if any(not ch.isprintable() for ch in pattern):
        raise ValidationError("Patterns cannot contain control characters.")
    if not is_regex:
        return
    if "*" in pattern or "+" in pattern:
        raise ValidationError(f"Use {{0,{MAX_REPEAT}}} or {{1,{MAX_REPEAT}}} instead of * and +.")
    if not _PATTERN_ALLOWED.fullmatch(pattern):
        raise ValidationError("Patterns can use letters, digits, spaces and . \\ | ( ) [ ] ? { } , ^ $ - ' : only.")
    if re.search(r"\\[1-9]|\(\?P=|\(\?[=!<>#(]|\(\?[aiLmsux]", pattern):
        raise ValidationError("Backreferences, lookarounds, comments and inline flags are not allowed.")
    try:
        # The standard library's own parser gives the structure of the pattern, so the
        # checks see what re will run.
        parsed = _parser.parse(pattern)
    except re.error as error:
        raise ValidationError(f"This is not a valid pattern: {error.msg}.") from None
    _check_subpattern(list(parsed), inside_repeat=False)


def compile_keyword_pattern(pattern: str, *, is_regex: bool) -> re.Pattern:
    """The compiled matcher for a validated rule (validates again: rows may predate a check)."""
    validate_keyword_pattern(pattern, is_regex=is_regex)
    if is_regex:
        return re.compile(pattern, re.IGNORECASE)
    words = [re.escape(word) for word in pattern.casefold().split()]
    return re.compile(r"(?<!\w)" + r"\s{1,5}".join(words) + r"(?!\w)", re.IGNORECASE)


def keyword_matches(pattern: str, *, is_regex: bool, text: str) -> bool:
    try:
        matcher = compile_keyword_pattern(pattern, is_regex=is_regex)
    except ValidationError:
        return False
    return matcher.search(normalise_text(text)) is not None
