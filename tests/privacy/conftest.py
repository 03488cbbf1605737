"""The privacy matrix world (see tests/helpers/privacy.py): every kind of viewer,
every state a discussion can be in."""

import pytest

from tests.helpers.privacy import World, build_world


@pytest.fixture
def world(user_factory) -> World:
    return build_world(user_factory)
