import pytest

from accounts.models import Block
from conversations import services
from discussions import services as discussion_services
from discussions.models import Visibility


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


@pytest.fixture
def start(member, mecfs):
    """``start(title=..., hashtags=[...])``: a public discussion by Alice, through the service."""

    def make(**fields):
        fields.setdefault("author", member)
        fields.setdefault("body", "What helps on bad days?")
        fields.setdefault("hashtags", ["mecfs"])
        fields.setdefault("visibility", Visibility.PUBLIC)
        return discussion_services.discussion_create(**fields)

    return make
