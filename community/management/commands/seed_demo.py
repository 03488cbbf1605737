"""Demo data for `make run`. Safe to run again: it converges instead of duplicating,
and it repairs what trying the demo did to it (a demo member banned, muted,
suspended, removed, deactivated or deleted; a demo post deleted), so `make run`
works whatever state the demo is in. `make reset-demo` starts from nothing.

Everything goes through the same services members use, so the demo shows real
behaviour (numbering, tombstones, badges, the moderation queue) and repairs are
audited like any moderator's. Posts carry fixed submission tokens, which the
services treat as "already posted".
"""

from allauth.account.models import EmailAddress
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from accounts.models import ProfessionalVerification, User
from accounts.verification import verification_apply, verification_approve
from community import services as community_services
from community.models import Community, CommunityAlias, Membership
from discussions.models import Discussion, Reply, Visibility
from discussions.services import discussion_create, reply_create
from moderation.demo import seed_moderation_demo
from moderation.member_actions import sanction_lift
from moderation.models import Sanction
from moderation.post_actions import post_remove

DEMO_PASSWORD = "spoonful-demo-pass"
REPAIR_REASON = "The demo was seeded again (seed_demo)."
# Staff, moderators and verified professionals act only with two-factor sign-in, so
# the demo accounts in those roles share this published secret; `make demo-code`
# prints the current code. No real account can have it: it is only set here.
DEMO_TOTP_SECRET = "SPOONFULDEMOTWOFACTORSECRETKEY23"
DEMO_TWO_FACTOR_MEMBERS = ("dr_okafor", "sam_mod", "staff_jo")

DEMO_MEMBERS = [
    # username, display name, what they are in the demo, extra user fields
    ("maya", "Maya R.", "patient with ME/CFS", {}),
    ("theo", "Theo", "caregiver for his partner with POTS", {}),
    ("dr_okafor", "Dr Ada Okafor", "verified physician (and a patient herself)", {}),
    ("nurse_lin", "Lin", "nurse with a pending verification", {}),
    ("sam_mod", "Sam", "moderator of #mecfs", {}),
    ("staff_jo", "Jo (staff)", "site staff", {"is_staff": True}),
]

COMMUNITIES = [
    {
        "slug": "mecfs",
        "name": "ME/CFS",
        "description": "Myalgic encephalomyelitis / chronic fatigue syndrome: pacing, crashes, research and "
        "getting through the day.",
        "guidelines": "Be kind: we are all running on few spoons.\n"
        "Share experience, not medical orders.\n"
        "Keep personal details (yours and others') out of posts.\n"
        "No selling or advertising.",
        "icd11_code": "8E49",
        "aliases": ["cfs", "me"],
    },
    {
        "slug": "spoonie",
        "name": "Spoonies",
        "description": "Everyday life with any chronic illness, measured in spoons.",
        "guidelines": "Be kind.\nNo diagnosing each other.\nNo selling or advertising.",
        "aliases": ["spoonies"],
    },
    {
        "slug": "longcovid",
        "name": "Long COVID",
        "description": "Symptoms that stay months after COVID-19, and what people have found helps.",
        "guidelines": "Be kind.\nLink sources when you share research.\nNo selling or advertising.",
        "icd11_code": "RA02",
        "aliases": ["pasc"],
    },
    {
        "slug": "eds",
        "name": "Ehlers-Danlos syndromes",
        "description": "Hypermobility, joints that wander, and the medical maze around them.",
        "guidelines": "Be kind.\nShare experience, not medical orders.\nNo selling or advertising.",
        "icd11_code": "LD28.1",
        "orpha_code": "98249",
        "aliases": ["ehlersdanlos"],
    },
    {
        "slug": "pots",
        "name": "POTS",
        "description": "Postural orthostatic tachycardia syndrome: salt, compression and standing up slowly.",
        "guidelines": "Be kind.\nShare experience, not medical orders.\nNo selling or advertising.",
        "aliases": [],
    },
    {
        "slug": "carerscircle",
        "name": "Carers' circle",
        "description": "A private room for people who look after someone with a chronic illness.",
        "guidelines": "What is said in the circle stays in the circle.\nBe kind.",
        "policy": Community.Policy.PRIVATE,
        "aliases": [],
    },
]


class Command(BaseCommand):
    help = "Create or refresh the demo members, communities, discussions and moderation queue."

    def handle(self, *args, **options) -> None:
        # The demo's follow-up jobs run here, as each change commits, so that the demo's
        # own notification emails go nowhere instead of filling the console from the worker.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend", JOBS_IMMEDIATE=True):
            self._seed()
        call_command("search_reindex", verbosity=0)

        self.stdout.write(self.style.SUCCESS("Demo data is ready. Sign in with any of these:"))
        for username, _, role, _ in DEMO_MEMBERS:
            self.stdout.write(f"  {username:<10} / {DEMO_PASSWORD}   ({role})")
        self.stdout.write(
            f"{', '.join(DEMO_TWO_FACTOR_MEMBERS)} sign in with two-factor: "
            "`make demo-code` prints the code to type after the password."
        )

    @transaction.atomic
    def _seed(self) -> None:
        members = {username: _member(username, name, **fields) for username, name, _, fields in DEMO_MEMBERS}
        staff = members["staff_jo"]
        # Staff act (lift, appoint, approve) only with two-factor sign-in on.
        for username, member in members.items():
            _two_factor(member, wanted=username in DEMO_TWO_FACTOR_MEMBERS)
        _lift_sanctions(staff, members)
        communities = {spec["slug"]: _community(staff, spec) for spec in COMMUNITIES}
        for problem in _memberships(staff, members, communities):
            self.stderr.write(self.style.WARNING(f"seed_demo: {problem}"))
        _verifications(staff, members)
        _discussions(members, communities)
        seed_moderation_demo()


def _member(username: str, display_name: str, **fields) -> User:
    # A demo account someone deleted is made again; one deactivated is active again.
    user, _ = User.objects.update_or_create(
        username=username,
        defaults={
            "email": f"{username}@demo.spoonful.invalid",
            "display_name": display_name,
            "is_active": True,
            **fields,
        },
    )
    # Only when it changed: a new hash of the same password would sign the demo's members out
    # of every browser each time `make run` starts.
    if not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    return user


def _lift_sanctions(staff: User, members: dict[str, User]) -> None:
    """Bans, mutes and suspensions of demo members end (expired ones too, which leave a
    ban in place until lifted), through the moderation service, so the log says so."""
    open_sanctions = Sanction.objects.filter(user__in=list(members.values()), lifted_at__isnull=True).exclude(
        kind=Sanction.Kind.WARNING
    )
    for sanction in open_sanctions.select_related("community", "user"):
        sanction_lift(acting_user=staff, sanction=sanction, reason=REPAIR_REASON)


def _two_factor(user: User, *, wanted: bool) -> None:
    """The printed logins work again: the two-factor members' code is the shared demo code
    (`make demo-code`), and the others sign in with the password alone, whatever
    authenticator was set up, replaced or removed on a demo account meanwhile."""
    authenticators = Authenticator.objects.filter(user=user)
    totp = authenticators.filter(type=Authenticator.Type.TOTP).first()
    if wanted and totp is not None and get_mfa_adapter().decrypt(totp.data["secret"]) == DEMO_TOTP_SECRET:
        return
    authenticators.delete()
    if wanted:
        TOTP.activate(user, DEMO_TOTP_SECRET)


def _community(staff: User, spec: dict) -> Community:
    spec = dict(spec)
    aliases = spec.pop("aliases")
    community = Community.objects.filter(slug=spec["slug"]).first()
    if community is None:
        community = community_services.community_create(acting_user=staff, **spec)
    for alias in aliases:
        if not CommunityAlias.objects.filter(name=alias).exists():
            proposed = community_services.alias_propose(acting_user=staff, community=community, name=alias)
            community_services.alias_decide(acting_user=staff, alias=proposed, accept=True)
    return community


def _join(user: User, community: Community) -> None:
    if not Membership.objects.filter(user=user, community=community, status=Membership.Status.ACTIVE).exists():
        community_services.membership_join(user=user, community=community)


def _memberships(staff: User, members: dict[str, User], communities: dict[str, Community]) -> list[str]:
    """Who belongs where; returns what could not be put back (the rest of the demo still loads)."""
    problems: list[str] = []

    def attempt(what: str, step) -> None:
        try:
            step()
        except (ValidationError, PermissionDenied) as error:
            problems.append(f"{what}: {' '.join(getattr(error, 'messages', [str(error)]))}")

    carers = communities["carerscircle"]
    wanted = [
        *((username, "mecfs") for username in ("maya", "theo", "dr_okafor", "sam_mod")),
        *((username, "spoonie") for username in ("maya", "dr_okafor")),
        ("maya", "longcovid"),
        ("theo", "pots"),
        ("nurse_lin", "eds"),
    ]
    for username, slug in wanted:
        attempt(f"{username} in #{slug}", lambda u=username, c=slug: _join(members[u], communities[c]))

    def appoint() -> None:
        mecfs_moderator = Membership.objects.filter(user=members["sam_mod"], community=communities["mecfs"]).first()
        if mecfs_moderator is None or not mecfs_moderator.is_moderator:
            community_services.moderator_appoint(
                acting_user=staff, community=communities["mecfs"], user=members["sam_mod"]
            )

    attempt("sam_mod moderating #mecfs", appoint)
    for username in ("theo", "maya"):
        if not Membership.objects.filter(user=members[username], community=carers).exists():
            attempt(
                f"{username} invited to #carerscircle",
                lambda u=username: community_services.membership_invite(
                    acting_user=staff, community=carers, user=members[u]
                ),
            )
    attempt("theo in #carerscircle", lambda: _join(members["theo"], carers))
    return problems


def _verifications(staff: User, members: dict[str, User]) -> None:
    doctor, nurse = members["dr_okafor"], members["nurse_lin"]
    if not ProfessionalVerification.objects.filter(applicant=doctor, status="approved").exists():
        application = verification_apply(
            applicant=doctor,
            profession="physician",
            speciality="Rheumatology",
            licence_number="DEMO-0000001",
            issuing_body="General Medical Council",
            country="UK",
            region="England",
        )
        verification_approve(acting_user=staff, application=application)
    if not ProfessionalVerification.objects.filter(applicant=nurse).exists():
        verification_apply(
            applicant=nurse,
            profession="nurse",
            licence_number="DEMO-NMC-42",
            issuing_body="Nursing and Midwifery Council",
            country="UK",
        )


def _discussion_token(author: User, token: str) -> str:
    """The token of this demo discussion as it stands: one deleted or removed since is posted afresh."""
    existing = Discussion.objects.filter(author=author, submission_token=token).first()
    while existing is not None and existing.status in (Discussion.Status.DELETED, Discussion.Status.REMOVED):
        token = f"{token[:40]}-{existing.pk}"
        existing = Discussion.objects.filter(author=author, submission_token=token).first()
    return token


def _reply_token(author: User, discussion: Discussion, token: str) -> str:
    """A reply token already spent in another discussion (the demo discussion was posted
    afresh) is spent again in this one."""
    existing = Reply.objects.filter(author=author, submission_token=token).first()
    if existing is None or existing.discussion_id == discussion.pk:
        return token
    return f"{token[:40]}@{discussion.pk}"


def _start(*, author: User, submission_token: str, **fields) -> Discussion:
    return discussion_create(author=author, submission_token=_discussion_token(author, submission_token), **fields)


def _reply(*, author: User, discussion: Discussion, submission_token: str, **fields) -> Reply:
    token = _reply_token(author, discussion, submission_token)
    return reply_create(author=author, discussion=discussion, submission_token=token, **fields)


def _discussions(members: dict[str, User], communities: dict[str, Community]) -> None:
    maya, theo, doctor, sam = members["maya"], members["theo"], members["dr_okafor"], members["sam_mod"]

    pacing = _start(
        author=maya,
        title="How do you pace on days that start well?",
        body="Mornings are my best hours, and I keep spending them all at once. By 3pm I am flat.\n\n"
        "What do you do to stop yourself overdoing it on a good morning? #spoonie",
        hashtags=["mecfs"],
        visibility=Visibility.PUBLIC,
        # Answered below with the badge: off the clinicians' "Waiting for a professional" list.
        wants_professional=True,
        submission_token="demo-pacing",
    )
    first = _reply(
        author=theo,
        discussion=pacing,
        body="My partner sets a timer for every task, even the fun ones. When it rings, she stops mid-sentence.",
        submission_token="demo-pacing-1",
    )
    _reply(
        author=maya,
        discussion=pacing,
        parent_number=first.number,
        body="Stopping mid-sentence is the hard part. Does she use a heart-rate monitor as well?",
        submission_token="demo-pacing-2",
    )
    _reply(
        author=doctor,
        discussion=pacing,
        as_professional=True,
        body="Many clinics suggest keeping activity well inside your energy envelope on good days too, so the "
        "good day does not borrow from tomorrow. A symptom diary for two weeks often shows the pattern.",
        submission_token="demo-pacing-3",
    )
    spam = _reply(
        author=theo,
        discussion=pacing,
        body="(demo) A link to a shop selling supplements that promise a cure.",
        submission_token="demo-pacing-4",
    )
    if spam.status == Reply.Status.PUBLISHED:
        post_remove(acting_user=sam, post=spam, guideline=4, reason="Advertising is not allowed here.")
    _reply(
        author=maya,
        discussion=pacing,
        is_anonymous=True,
        body="I only managed pacing once I stopped hiding how ill I was from my family. Posting this without my name.",
        submission_token="demo-pacing-6",
    )

    _start(
        author=theo,
        title="Salt, fluids and standing in queues",
        body="Members only, because I mention my partner's routine in detail. What has helped you with long "
        "queues? Compression, salt tablets, a folding stool?",
        hashtags=["pots"],
        visibility=Visibility.MEMBERS,
        submission_token="demo-pots",
    )
    crash = _start(
        author=maya,
        title="A bad crash after a hospital appointment",
        body="Only for #mecfs members. The appointment itself was fine, but the travel wiped me out for a week, "
        "and I had some frightening symptoms on the second night.",
        hashtags=["mecfs"],
        visibility=Visibility.COMMUNITY,
        content_warning="graphic symptoms",
        # Still waiting: dr_okafor finds it on /professional/waiting/.
        wants_professional=True,
        submission_token="demo-crash",
    )
    _reply(
        author=sam,
        discussion=crash,
        body="Sending rest your way. Ask for a home or video appointment next time if you can; it is allowed.",
        submission_token="demo-crash-1",
    )
    _start(
        author=maya,
        title="Sharing the long COVID clinic letter template",
        body="I wrote a short letter that explains post-exertional malaise to a new GP. Happy to share it. #longcovid",
        hashtags=["longcovid", "mecfs"],
        visibility=Visibility.PUBLIC,
        submission_token="demo-letter",
    )
    _start(
        author=theo,
        title="Who looks after the carer?",
        body="Just for the circle: how do you find time to see your own doctor?",
        hashtags=["carerscircle"],
        visibility=Visibility.COMMUNITY,
        submission_token="demo-carers",
    )
