import pytest

from accounts.models import Block
from conversations import services


@pytest.fixture
def mecfs(community_factory, add_member, member, other_member):
    community = community_factory("mecfs", name="ME/CFS")
    add_member(member, community)
    add_member(other_member, community)
    return community


@pytest.fixture
def talking(mecfs, member, other_member):
    """Alice wrote to Carol, who accepted."""
    conversation = services.conversation_start(sender=member, recipients=[other_member], body="Hello Carol")
    services.conversation_accept(user=other_member, conversation=conversation)
    return conversation


@pytest.fixture
def block():
    def make(blocker, blocked):
        return Block.objects.create(blocker=blocker, blocked=blocked)

    return make
