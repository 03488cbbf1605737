"""The privacy matrix world (see tests/helpers/privacy.py): every kind of viewer,
every state a discussion can be in."""

import pytest
from django.db import transaction
from django.test import override_settings

from tests.helpers.privacy import World, build_world
from tests.helpers.users import make_user


@pytest.fixture(scope="module")
def _world_rows(django_db_setup, django_db_blocker) -> World:
    """The world is made once per module, in a transaction held open around the module's tests:
    each test's own transaction is a savepoint inside it, so whatever a test changes is rolled
    back to the world as made, and the world itself is rolled back after the module's last test.
    A module whose tests need it committed (a socket reads through another connection) builds
    its own ``world`` per test."""
    with django_db_blocker.unblock():
        module_transaction = transaction.atomic()
        module_transaction.__enter__()
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            rows = build_world(make_user)
    yield rows
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        module_transaction.__exit__(None, None, None)


@pytest.fixture
def world(_world_rows, db) -> World:
    # Fresh objects for each test: one may change a user or a post in memory, not only in rows.
    return _world_rows.reloaded()
