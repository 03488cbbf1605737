"""The discussion page: reading it, replying on it, catching up after a dropped
connection, and starting a new discussion. Every read goes through
``discussions.selectors``, every write through ``discussions.services``; what a post
shows is ``discussions.presenters``. Forbidden and missing are the same 404.

The author's own actions are ``author_views``; edit histories, ``revision_views``.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe

from accounts.selectors import (
    blocked_ids_for,
    can_act_as_professional,
    has_two_factor,
    is_low_energy,
    is_verified_professional,
)
from community.hashtags import InvalidHashtag, normalise_hashtag, split_hashtag_field
from community.selectors import community_resolve
from discussions import drafts
from discussions.attachments import ALT_TEXT_MAX, CHOOSE_AGAIN, MAX_ATTACHMENTS
from discussions.forms import (
    MAX_TYPED_HASHTAGS,
    SENSITIVE_FIELDS,
    DiscussionForm,
    ReplyForm,
    add_service_errors,
)
from discussions.models import Discussion, Reply, Visibility
from discussions.post_checks import UNVERIFIED_MESSAGE, has_verified_email
from discussions.presenters import (
    NUMBER,
    ORDER_THANKED,
    first_unread_url,
    flatten_for_ranking,
    link_preview,
    missed_replies,
    present_discussion,
    present_reactions,
    present_replies,
    reading_marks,
    render_reply_html,
    reply_rows,
    reply_url,
    reply_window,
    reply_window_most_thanked,
    tag_links,
    viewer_id,
)
from discussions.privacy import CHOICE_COMMUNITY, Nudge, TypedField, privacy_nudge
from discussions.reading_selectors import reading_position_of
from discussions.related import related_discussions
from discussions.selectors import (
    can_moderate,
    can_reply,
    community_slugs_named,
    discussion_get_visible_or_404,
    discussion_page_get_or_404,
    is_signed_in_member,
    reply_list_visible_to,
    reply_refusal,
)
from discussions.services import discussion_create, reading_position_record, reply_create
from discussions.visitor_pages import is_shared_visitor_request, visitor_page
from spoonful.ratelimits import rate_limit_check, rate_limited_response

CATCH_UP_LIMIT = 100
MAX_CATCH_UP_AFTER = 10**9


# --- The discussion page -----------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """A signed-in member opening the page: their position is recorded, and in
    low-energy mode the replies after ``missed_since`` are listed as missed."""

    missed_since: int | None


# Parameters that name a place in the thread: the page opens there, as asked.
PLACE_PARAMETERS = ("at", "from", "since", "reply_to")


def _render_discussion(
    request: HttpRequest,
    discussion: Discussion,
    *,
    reply_form: ReplyForm | None = None,
    reply_error: str = "",
    nudge: Nudge | None = None,
    status: int = 200,
    reading: Reading | None = None,
) -> HttpResponse:
    viewer = request.user
    refusal = reply_refusal(viewer, discussion)
    may_reply = refusal is None
    may_moderate = can_moderate(viewer, discussion)
    most_thanked = request.GET.get("order") == ORDER_THANKED
    if most_thanked:
        window = reply_window_most_thanked(viewer, discussion, page=request.GET.get("page", ""))
    else:
        window = reply_window(viewer, discussion, start=request.GET.get("from", ""), at=request.GET.get("at", ""))
    missed = None
    shown = [reply.number for reply in window.replies]
    if reading is not None and reading.missed_since is not None:
        missed = missed_replies(viewer, discussion, after=reading.missed_since, shown=shown)
    # Read before this visit records how far they read, so the page says what was new.
    marks = None
    if is_signed_in_member(viewer):
        marks = reading_marks(viewer, discussion, shown=shown, count_unread=missed is None)
    if reading is not None and not most_thanked:
        # Only forward (see the service): an earlier window keeps what was read; 0 when no
        # reply is on screen still says they opened it, so later replies count as new. A
        # ranked window skips replies, so it says nothing about how far they read.
        known = marks.position if marks is not None else None
        reading_position_record(user=viewer, discussion=discussion, number=max(shown, default=0), known=known)
    blocked_ids = blocked_ids_for(viewer)
    present_discussion(discussion, viewer=viewer, blocked_ids=blocked_ids)
    present_replies(
        window.replies,
        viewer=viewer,
        discussion=discussion,
        may_reply=may_reply,
        may_moderate=may_moderate,
        blocked_ids=blocked_ids,
    )
    if most_thanked:
        flatten_for_ranking(window.replies)
    present_reactions(discussion=discussion, replies=window.replies, viewer=viewer, may_react=may_reply)
    is_author = viewer_id(viewer) is not None and discussion.author_id == viewer.pk

    if reply_form is None and may_reply:
        initial = {}
        reply_to = request.GET.get("reply_to", "")
        if NUMBER.fullmatch(reply_to):
            initial["parent"] = int(reply_to)
        draft = marks.draft if marks is not None else None
        if draft is not None:
            initial.update(draft)
        reply_form = ReplyForm(initial=initial)
    replying_to = None
    if reply_form is not None:
        parent_value = reply_form["parent"].value()
        if parent_value not in (None, ""):
            replying_to = parent_value

    verified_professional = may_reply and is_verified_professional(viewer)
    two_factor = verified_professional and has_two_factor(viewer)
    tags = tag_links(discussion, viewer)
    is_public = discussion.is_public
    indexable = is_public and not viewer.is_authenticated
    response = render(
        request,
        "discussions/detail.html",
        {
            "discussion": discussion,
            "tag_links": tags,
            "replies": window.replies,
            "next_url": window.next_url,
            "is_first_window": window.is_first,
            "reply_form": reply_form,
            "reply_error": reply_error,
            "replying_to": replying_to,
            "can_reply": may_reply,
            "can_moderate": may_moderate,
            "is_author": is_author,
            "reply_refusal": refusal,
            "offer_badge": verified_professional and two_factor,
            "verified_professional": verified_professional,
            "badge_needs_two_factor": verified_professional and not two_factor,
            "verified_replied": discussion.verified_replied,
            "related": related_discussions(viewer=viewer, discussion=discussion),
            "can_flag": is_signed_in_member(viewer) and not is_author and discussion.is_published,
            "indexable": indexable,
            "visibility_label": Visibility(discussion.visibility).audience([tag["slug"] for tag in tags]),
            "link_preview": link_preview(discussion, is_public=is_public),
            "privacy_nudge": nudge,
            "missed": missed,
            "most_thanked": most_thanked,
            "reading_marks": marks,
            "attachment_slots": attachment_slots(request) if reply_form is not None else [],
            "attachments_dropped": reply_form is not None and attachments_dropped(request, reply_form),
        },
        status=status,
    )
    response.indexable = indexable
    return response


@require_safe
def discussion_detail(request: HttpRequest, pk: int, slug: str = "") -> HttpResponse:
    # The slug is decoration: a wrong one still shows the page, and there is no
    # redirect to the right one (that would reveal the title of a hidden post).
    viewer = request.user
    discussion = discussion_page_get_or_404(viewer, pk)
    if is_shared_visitor_request(request):
        return _offline_cacheable(visitor_page(request, discussion, lambda: _render_discussion(request, discussion)))
    if request.method != "GET" or not is_signed_in_member(viewer):
        return _offline_cacheable(_render_discussion(request, discussion))
    missed_since = None
    if is_low_energy(viewer):
        # A low-energy reader opens a thread at the first reply they have not read.
        since = request.GET.get("since", "")
        if NUMBER.fullmatch(since):
            missed_since = int(since)
        elif not any(name in request.GET for name in PLACE_PARAMETERS):
            missed_since = reading_position_of(viewer, discussion)
            target = first_unread_url(viewer, discussion, after=missed_since) if missed_since is not None else None
            if target is not None:
                return redirect(target)
    return _offline_cacheable(_render_discussion(request, discussion, reading=Reading(missed_since=missed_since)))


def _offline_cacheable(response: HttpResponse) -> HttpResponse:
    """Its reader may see it: the service worker may keep it for reading offline
    (until sign-out; see spoonful.middleware.PrivateByDefaultMiddleware)."""
    response.offline_cacheable = True
    return response


def attachment_slots(request: HttpRequest) -> list[tuple[int, str]]:
    """The (file, description) pairs of a post form, numbered from 1, each with the
    description typed before the form came back (files cannot be kept: the browser
    asks for them again)."""
    typed = request.POST.getlist("alt_text") if request.method == "POST" else []
    return [
        (number, typed[number - 1][:ALT_TEXT_MAX] if number <= len(typed) else "")
        for number in range(1, MAX_ATTACHMENTS + 1)
    ]


def attachments_dropped(request: HttpRequest, form: DiscussionForm | ReplyForm) -> bool:
    """Files were sent but the form came back (a privacy check, a typo, a rate limit):
    the browser has forgotten them, so the form says so, unless an error about the
    files already does."""
    return bool(request.FILES) and not any(CHOOSE_AGAIN in error for error in form.non_field_errors())


# --- The nudge before posting identifying details publicly ------------------------------


def _privacy_nudge(request: HttpRequest, fields: list[TypedField], *, visibility: str) -> Nudge | None:
    """What looks identifying in a post bound for a public discussion, until the member
    has confirmed posting exactly those details (see discussions.privacy)."""
    return privacy_nudge(
        author=request.user,
        fields=fields,
        visibility=visibility,
        choice=request.POST.get("privacy_choice", ""),
        confirmed=request.POST.get("privacy_confirm") == "1",
        reviewed=request.POST.get("privacy_reviewed", "")[:2000],
    )


# --- Starting a discussion ------------------------------------------------------------


def _prefill_hashtag(request: HttpRequest) -> str:
    raw = request.GET.get("c", "")
    try:
        name = normalise_hashtag(raw)
    except InvalidHashtag:
        return ""
    community = community_resolve(name, viewer=request.user)
    return f"#{community.slug}" if community is not None else ""


def _verified_or_redirect(request: HttpRequest) -> HttpResponse | None:
    if has_verified_email(request.user):
        return None
    messages.warning(request, UNVERIFIED_MESSAGE)
    return redirect("account_email")


@sensitive_post_parameters(*SENSITIVE_FIELDS)
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def discussion_new(request: HttpRequest) -> HttpResponse:
    not_verified = _verified_or_redirect(request)
    if not_verified is not None:
        return not_verified
    status = 200
    nudge = None
    if request.method == "POST":
        form = DiscussionForm(request.POST)
        limited = rate_limit_check(request, "post")
        if limited:
            context = _new_discussion_context(request, form)
            return rate_limited_response(request, "discussions/new.html", context, limited)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            narrowed = request.POST.get("privacy_choice") == CHOICE_COMMUNITY
            visibility = Visibility.COMMUNITY if narrowed else data["visibility"]
            typed = [TypedField("id_title", "Title", data["title"]), TypedField("id_body", "Text", data["body"])]
            nudge = _privacy_nudge(request, typed, visibility=visibility)
            # With a nudge, nothing is published yet; the form comes back as typed, with the choices.
            status = 200 if nudge is not None else 400
        if form.is_valid() and nudge is None:
            try:
                discussion = discussion_create(
                    author=request.user,
                    title=data["title"],
                    body=data["body"],
                    hashtags=data["hashtags"],
                    visibility=visibility,
                    is_anonymous=data["anonymous"],
                    content_warning=data["content_warning"],
                    as_professional=data["as_professional"],
                    wants_professional=data["wants_professional"],
                    submission_token=data["submission_token"],
                    attachments=request.FILES.getlist("attachments"),
                    alt_texts=request.POST.getlist("alt_text"),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                return _after_posting(request, discussion, discussion.get_absolute_url())
    else:
        form = DiscussionForm(initial=_new_discussion_initial(request))
    context = _new_discussion_context(request, form)
    return render(request, "discussions/new.html", {**context, "privacy_nudge": nudge}, status=status)


def _new_discussion_context(request: HttpRequest, form: DiscussionForm) -> dict:
    """The form with its community audience named by the hashtags typed so far."""
    typed = split_hashtag_field(str(form["hashtags"].value() or ""))[:MAX_TYPED_HASHTAGS]
    text = f"{form['title'].value() or ''}\n{form['body'].value() or ''}"
    hashtags = community_slugs_named(request.user, typed, text=text)
    form.name_audience(hashtags)
    return {
        "form": form,
        "attachment_slots": attachment_slots(request),
        "attachments_dropped": attachments_dropped(request, form),
        "offer_badge": can_act_as_professional(request.user),
        "community_audience": Visibility.COMMUNITY.audience(hashtags) if hashtags else "",
    }


def _new_discussion_initial(request: HttpRequest) -> dict:
    """The member's saved draft, if any; a ``?c=`` hashtag fills an empty hashtag field."""
    initial = {"hashtags": _prefill_hashtag(request)}
    draft = drafts.draft_get(request.user, drafts.NEW_DISCUSSION_KEY)
    if draft is not None:
        initial.update(title=draft.title, body=draft.body, content_warning=draft.content_warning)
        initial["hashtags"] = draft.hashtags or initial["hashtags"]
    return initial


# --- Replying ------------------------------------------------------------------------


@sensitive_post_parameters("body")
@require_http_methods(["GET", "HEAD", "POST"])
def reply_post(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        # A discussion titled "Reply" has this as its slug URL: show the page.
        return discussion_detail(request, pk, "reply")
    discussion = discussion_page_get_or_404(request.user, pk)
    if not is_signed_in_member(request.user):
        return redirect(f"{reverse('account_login')}?{urlencode({'next': discussion.get_absolute_url()})}")
    form = ReplyForm(request.POST)
    limited = rate_limit_check(request, "post")
    if limited:
        response = _render_discussion(request, discussion, reply_form=form, reply_error=limited.message, status=429)
        response["Retry-After"] = str(limited.retry_after)
        return response
    if not form.is_valid():
        return _render_discussion(request, discussion, reply_form=form, status=400)
    data = form.cleaned_data
    nudge = _privacy_nudge(
        request, [TypedField("id_body", "Your reply", data["body"])], visibility=discussion.visibility
    )
    if nudge is not None:
        return _render_discussion(request, discussion, reply_form=form, nudge=nudge)
    try:
        reply = reply_create(
            author=request.user,
            discussion=discussion,
            body=data["body"],
            parent_number=data["parent"],
            is_anonymous=data["anonymous"],
            as_professional=data["as_professional"],
            content_warning=data["content_warning"],
            submission_token=data["submission_token"],
            attachments=request.FILES.getlist("attachments"),
            alt_texts=request.POST.getlist("alt_text"),
        )
    except Discussion.DoesNotExist:
        raise Http404("No such discussion.") from None
    except PermissionDenied as error:
        return _render_discussion(request, discussion, reply_form=form, reply_error=str(error), status=403)
    except ValidationError as error:
        add_service_errors(form, error)
        return _render_discussion(request, discussion, reply_form=form, status=400)
    if reply.discussion_id != discussion.pk:
        discussion = reply.discussion
    return _after_posting(request, reply, reply_url(discussion, reply, request.user))


HELD_MESSAGE = "Your post is waiting for a moderator. It is saved, and only you can see it until then."


def _after_posting(request: HttpRequest, post: Discussion | Reply, url: str) -> HttpResponse:
    """Where a member lands after posting. Words that suggest a crisis never stop a
    post; they take the poster to support first, with a link back to their post."""
    screening = getattr(post, "screening", None)
    if post.status == post.Status.HELD:
        messages.info(request, HELD_MESSAGE)
    if screening is not None and screening.crisis:
        return redirect(f"{reverse('moderation:support')}?{urlencode({'next': url})}")
    return redirect(url)


def _bad_request(request: HttpRequest, reason: str) -> HttpResponse:
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"error": reason}, status=400)
    return HttpResponseBadRequest(reason, content_type="text/plain; charset=utf-8")


@require_safe
def replies_after(request: HttpRequest, pk: int) -> HttpResponse:
    """Catch-up after a dropped connection: the replies numbered after ``after``
    that the viewer may see, in number order, at most CATCH_UP_LIMIT."""
    if "after" not in request.GET:
        # A discussion titled "Replies" has this as its slug URL: show the page.
        return discussion_detail(request, pk, "replies")
    discussion = discussion_get_visible_or_404(request.user, pk)
    raw = request.GET["after"].strip()
    if not NUMBER.fullmatch(raw) or int(raw) > MAX_CATCH_UP_AFTER:
        return _bad_request(request, "after must be a reply number: a whole number, 0 or more.")
    after = int(raw)
    rows = reply_rows(reply_list_visible_to(request.user, discussion)).filter(number__gt=after)
    replies = list(rows.order_by("number")[: CATCH_UP_LIMIT + 1])
    has_more = len(replies) > CATCH_UP_LIMIT
    replies = replies[:CATCH_UP_LIMIT]
    may_reply = can_reply(request.user, discussion)
    present_replies(
        replies,
        viewer=request.user,
        discussion=discussion,
        may_reply=may_reply,
        may_moderate=can_moderate(request.user, discussion),
    )
    present_reactions(discussion=discussion, replies=replies, viewer=request.user, may_react=may_reply)
    fragments = [(reply, render_reply_html(reply, request=request)) for reply in replies]
    last_number = replies[-1].number if replies else after
    if "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse(
            {
                "replies": [
                    {"number": reply.number, "parent": reply.parent_number, "html": html} for reply, html in fragments
                ],
                "last_number": last_number,
                "has_more": has_more,
            }
        )
    else:
        response = HttpResponse("\n".join(html for _, html in fragments), content_type="text/html; charset=utf-8")
        response["X-Last-Number"] = str(last_number)
    patch_vary_headers(response, ["Accept"])
    return response
