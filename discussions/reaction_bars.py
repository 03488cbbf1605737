"""The reactions under a post, as one viewer is shown them: the discussion page, the
catch-up fragments and the live frames prepare them here (``present_reactions``), and
``_reactions.html`` shows them."""

from dataclasses import dataclass

from django.urls import reverse

from discussions.models import Discussion, Reaction, Reply
from discussions.selectors import Viewer, is_signed_in_member, reaction_counts_for


@dataclass(frozen=True)
class ReactionButton:
    kind: str
    label: str
    count: int
    mine: bool

    @property
    def accessible_name(self) -> str:
        """ "Me too, 3 members; you reacted": what a screen reader says for the button."""
        members = "1 member" if self.count == 1 else f"{self.count} members"
        return f"{self.label}, {members}" + ("; you reacted" if self.mine else "")


@dataclass(frozen=True)
class ReactionBar:
    """What ``_reactions.html`` shows under one post, for one viewer."""

    discussion_pk: int
    number: int | None  # None: the discussion itself
    buttons: tuple[ReactionButton, ...]
    can_react: bool  # buttons that post; otherwise the counts alone
    can_see_who: bool  # the "who reacted" link: signed-in members only
    react_url: str  # reversed once per page, not once per button
    who_url: str

    @property
    def total(self) -> int:
        return sum(button.count for button in self.buttons)


def reaction_bar(
    *, discussion: Discussion, number: int | None, found: dict | None, can_react: bool, viewer: Viewer, react_url: str
) -> ReactionBar:
    counts = found["counts"] if found else {}
    mine = found["mine"] if found else set()
    buttons = tuple(
        ReactionButton(kind=kind, label=label, count=counts.get(kind, 0), mine=kind in mine)
        for kind, label in Reaction.Kind.choices
    )
    can_see_who = is_signed_in_member(viewer)
    who_url = ""
    if can_see_who and number is None:
        who_url = reverse("discussions:reactions", args=[discussion.pk])
    elif can_see_who:
        who_url = reverse("discussions:reply_reactions", args=[discussion.pk, number])
    return ReactionBar(
        discussion_pk=discussion.pk,
        number=number,
        buttons=buttons,
        can_react=can_react,
        can_see_who=can_see_who,
        react_url=react_url,
        who_url=who_url,
    )


def present_reactions(
    *, discussion: Discussion, replies: list[Reply], viewer: Viewer, may_react: bool, counted: bool = True
) -> None:
    """Set ``reaction_bar`` (a ``ReactionBar``) on the discussion and on each published reply,
    for this viewer: one query for all of them (``reaction_counts_for``). ``may_react`` is
    the page's ``can_reply`` (whoever may reply may react); a post of one's own shows its
    counts without buttons. Tombstones, held and hidden posts show no reactions.

    ``counted=False`` (live frames, rendered once for a whole audience) shows every count
    as nothing yet: a new reply has none, and a page keeps the counts it has for an edited
    one, so no count meant for one reader (whom they blocked, what they chose) goes out.
    """
    if not discussion.is_published:
        return  # held for review (seen by its author alone): reactions open once it is published
    shown = [reply for reply in replies if reply.is_published]
    found = reaction_counts_for(viewer, discussion, shown) if counted else {}
    reader_id = viewer.pk if is_signed_in_member(viewer) else None
    react_url = reverse("discussions:react", args=[discussion.pk])
    discussion.reaction_bar = reaction_bar(
        discussion=discussion,
        number=None,
        found=found.get(None),
        can_react=may_react and discussion.author_id != reader_id,
        viewer=viewer,
        react_url=react_url,
    )
    for reply in shown:
        reply.reaction_bar = reaction_bar(
            discussion=discussion,
            number=reply.number,
            found=found.get(reply.number),
            can_react=may_react and reply.author_id != reader_id,
            viewer=viewer,
            react_url=react_url,
        )
