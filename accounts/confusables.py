"""The skeleton of a name: what it looks like, whatever characters spell it.

Two usernames with the same skeleton look alike to a reader: alice spelt with a
Cyrillic a, in fullwidth letters, as ``aIice`` or as ``Alice`` all pass for ``alice``. The
skeleton follows Unicode's UTS #39 (section 4, "Confusable Detection"), after
NFKC and case folding as Django's own docs suggest for comparing usernames:
normalise, decompose, replace each character by the prototype of its class of
confusables, decompose again.

The confusables come from Unicode's confusables.txt as shipped by the
``confusable_homoglyphs`` package, which stores each "source -> prototype" line
as a pair in both directions. In the file every character maps to exactly one
prototype and prototypes map to themselves, so the characters linked by
single-character pairs form exactly the classes of UTS #39; each class is
represented here by its lowest code point (equality of skeletons is what
matters, not which member stands for the class). A character whose prototype is
a sequence (``m`` looks like ``rn``) maps to that sequence. The package copied
right-to-left characters with the LEFT-TO-RIGHT MARKs that wrap them in the
file's comments; those marks are dropped.

Case and look-alikes pull apart on one letter: ``I`` passes for ``l``, yet
folds to ``i``. So there are two skeletons: the mapping, then folding, then the
mapping again (folding ``A``'s prototype gives ``a``, whose class then applies);
and folding, then the mapping. Names sharing either one are confusable.
"""

import functools
import unicodedata

from confusable_homoglyphs.utils import load

_LRM = "\u200e"


@functools.cache
def _prototypes() -> dict[str, str]:
    data: dict[str, list[dict[str, str]]] = load("confusables.json")
    parent: dict[str, str] = {}

    def find(char: str) -> str:
        root = char
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[char] != root:  # path compression
            parent[char], char = root, parent[char]
        return root

    sequences: dict[str, str] = {}
    for key, entries in data.items():
        char = key.replace(_LRM, "")
        if len(char) != 1:
            continue  # the reverse entries of sequences: covered by their sources
        for entry in entries:
            target = entry["c"].replace(_LRM, "")
            if len(target) == 1:
                first, second = find(char), find(target)
                if first != second:
                    parent[max(first, second)] = min(first, second)
            else:
                sequences[char] = target
    mapping = {char: find(char) for char in parent if find(char) != char}
    mapping.update(sequences)
    return mapping


def _map(text: str, prototypes: dict[str, str]) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    mapped = "".join(prototypes.get(char, char) for char in decomposed)
    # Sequences are made of prototypes, which map on to their class's representative.
    return unicodedata.normalize("NFD", "".join(prototypes.get(char, char) for char in mapped))


def skeletons(text: str) -> tuple[str, str]:
    """What ``text`` looks like, two ways; two names that share either are confusable.

    The first maps before folding case, so ``aIice`` (capital I) matches ``alice``;
    the second folds first, so ``ALICE`` (whose I is an i) matches it too.
    """
    prototypes = _prototypes()
    normalised = unicodedata.normalize("NFKC", text)
    visual = _map(_map(normalised, prototypes).casefold(), prototypes)
    folded = _map(normalised.casefold(), prototypes)
    return visual, folded
