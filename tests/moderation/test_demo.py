from accounts.models import User
from community.management.commands.seed_demo import Command
from moderation.demo import seed_moderation_demo
from moderation.models import Flag
from moderation.queue import moderation_queue_for


def test_the_demo_moderator_has_a_non_empty_queue_and_seeding_twice_converges(db):
    Command().handle()
    seed_moderation_demo()
    counts = Flag.objects.count()
    seed_moderation_demo()
    assert Flag.objects.count() == counts

    queue = moderation_queue_for(User.objects.get(username="sam_mod"))
    assert queue.flagged and queue.held
    assert queue.flagged[0].has_crisis
    assert queue.flagged[1].count == 2
