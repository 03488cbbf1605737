"""Demo moderation data: the demo moderator (sam_mod) opens /mod/ to a non-empty queue.

``seed_moderation_demo()`` is called from the seed_demo command after the demo
members exist. It converges: posts carry submission tokens (the services return
the existing post for the same token), flags and rules use get_or_create.
"""

from django.db import transaction
from django.db.models import F
from taggit.models import Tag

from accounts.models import User
from community.models import Community, Membership
from discussions.models import Discussion, Reply, Visibility
from discussions.services import discussion_create, reply_create
from moderation.models import CrisisResource, Flag, KeywordRule

MECFS_GUIDELINES = "\n".join(
    [
        "Be kind: we are all running on few spoons.",
        "Share experience, not medical orders.",
        "Keep personal details (yours and others') out of posts.",
        "No selling or advertising.",
    ]
)

CRISIS_RESOURCES = [
    # region, name, description, phone, url
    (
        "",
        "Find a helpline",
        "Free, confidential helplines in your country, by phone, text or chat.",
        "",
        "https://findahelpline.com/",
    ),
    ("GB", "Samaritans", "Any time, day or night, free from any phone.", "116 123", "https://www.samaritans.org/"),
    ("US", "988 Suicide & Crisis Lifeline", "Call or text, any time.", "988", "https://988lifeline.org/"),
]


def _community(slug: str, name: str) -> Community:
    community = Community.objects.filter(slug=slug).first()
    if community is not None:
        return community
    tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"name": slug})
    return Community.objects.create(slug=slug, tag=tag, name=name, guidelines=MECFS_GUIDELINES)


def _membership(user: User, community: Community, role: str = Membership.Role.MEMBER) -> None:
    membership, created = Membership.objects.get_or_create(
        user=user, community=community, defaults={"role": role, "status": Membership.Status.ACTIVE}
    )
    if not created and role == Membership.Role.MODERATOR and not membership.is_moderator:
        membership.role, membership.status = Membership.Role.MODERATOR, Membership.Status.ACTIVE
        membership.save(update_fields=["role", "status", "updated_at"])


@transaction.atomic
def seed_moderation_demo() -> None:
    users = {user.username: user for user in User.objects.filter(username__in=["maya", "theo", "dr_okafor", "sam_mod"])}
    if len(users) < 4:
        return  # the demo members come first; seed_demo creates them
    maya, theo, doctor, sam = users["maya"], users["theo"], users["dr_okafor"], users["sam_mod"]

    mecfs = _community("mecfs", "ME/CFS")
    for member in (maya, theo, doctor):
        _membership(member, mecfs)
    _membership(sam, mecfs, Membership.Role.MODERATOR)

    for region, name, description, phone, url in CRISIS_RESOURCES:
        CrisisResource.objects.get_or_create(
            region=region, name=name, defaults={"description": description, "phone": phone, "url": url}
        )
    KeywordRule.objects.get_or_create(
        community=mecfs,
        pattern="miracle cure",
        defaults={"action": KeywordRule.Action.HOLD, "created_by": sam},
    )

    discussion = discussion_create(
        author=maya,
        title="Getting through a crash week",
        body="What do you cut first when a crash hits? I drop cooking and lean on frozen meals.",
        hashtags=["mecfs"],
        visibility=Visibility.COMMUNITY,
        submission_token="demo-moderation-discussion",
    )
    advert = reply_create(
        author=theo,
        discussion=discussion,
        body="My cousin sells a supplement that fixed everything in a week. Message me for a discount code!",
        submission_token="demo-moderation-advert",
    )
    for flagger in (maya, doctor):
        Flag.objects.get_or_create(
            flagger=flagger,
            reply=advert,
            defaults={"reason": Flag.Reason.SPAM, "detail": "Selling a supplement"},
        )

    hard_night = reply_create(
        author=theo,
        discussion=discussion,
        body="Honestly some nights I feel like I can't go on. Caring and being ill at once is too much.",
        submission_token="demo-moderation-crisis",
    )
    Flag.objects.get_or_create(
        flagger=None,
        reply=hard_night,
        reason=Flag.Reason.CRISIS,
        defaults={"detail": "Crisis words: can't go on"},
    )

    held = reply_create(
        author=theo,
        discussion=discussion,
        body="First post here: has anyone tried a miracle cure from abroad?",
        submission_token="demo-moderation-held",
    )
    if held.status == Reply.Status.PUBLISHED and not Flag.objects.filter(reply=held).exists():
        # As the keyword rule would have done at posting time.
        Reply.objects.filter(pk=held.pk).update(status=Reply.Status.HELD)
        Flag.objects.create(flagger=None, reply=held, reason=Flag.Reason.OTHER, detail="Held by keyword rule")
        Discussion.objects.filter(pk=discussion.pk, published_reply_count__gt=0).update(
            published_reply_count=F("published_reply_count") - 1
        )
