"""Sweeps shared by the privacy tests."""

import re

from tests.privacy.conftest import STATES, ZED_IDENTITY, World, allowed, canaries

NONCE = re.compile(r'nonce="[^"]*"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def leaks(text: str, world: World, viewer: str, *, states=STATES) -> list[str]:
    """Every canary in ``text`` that the viewer must not see: text of hidden
    discussions, and the anonymous author's identity."""
    found = []
    for state in states:
        if not allowed(viewer, state):
            found += [canary for canary in canaries(state) if canary in text]
    found += [identity for identity in ZED_IDENTITY if identity.lower() in text.lower()]
    return found


def normalised(html: str) -> str:
    return CSRF.sub("", NONCE.sub("", html))
