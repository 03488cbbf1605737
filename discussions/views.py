"""Discussion pages. Every read goes through ``discussions.selectors``; every write
through ``discussions.services``. Forbidden and missing are the same 404."""

import re
from dataclasses import dataclass
from html import unescape
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, ExpressionWrapper, F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.html import strip_tags
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe

from accounts.decorators import privileged_action_requires_2fa, two_factor_setup_redirect
from community.hashtags import InvalidHashtag, normalise_hashtag, split_hashtag_field
from community.selectors import community_resolve, tag_known_to
from discussions import drafts, services
from discussions.forms import (
    MAX_TYPED_HASHTAGS,
    DiscussionEditForm,
    DiscussionForm,
    ReplyEditForm,
    ReplyForm,
    VisibilityForm,
)
from discussions.models import Discussion, Reply, Revision, Visibility
from discussions.privacy import CHOICE_COMMUNITY, Nudge, TypedField, identifying_details, privacy_nudge
from discussions.related import related_discussions
from discussions.selectors import (
    Viewer,
    audience_description,
    can_moderate,
    can_reply,
    community_slugs_named,
    discussion_get_visible_or_404,
    is_signed_in_member,
    is_wider,
    reply_count_by_others,
    reply_list_visible_to,
    reply_refusal,
    revision_list_of,
)
from moderation.audit import AlreadyHandled
from spoonful.ratelimits import rate_limit_check, rate_limited_response

# Replies per window: enough to read, few enough that 5,000 replies open fast.
REPLY_WINDOW = 50
CATCH_UP_LIMIT = 100
# Replies are indented up to this depth; deeper ones say whom they answer.
MAX_INDENT = 4
MAX_CATCH_UP_AFTER = 10**9
# Characters of text in a link preview's description.
PREVIEW_LENGTH = 160
SENSITIVE_FIELDS = ("title", "body", "content_warning", "hashtags")
# ASCII digits only: str.isdigit() accepts "²", which int() then refuses.
NUMBER = re.compile(r"[0-9]{1,9}")
THREAD_PATH = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,9}){0,40}")


# --- Presenting replies (shared with the live-update consumer) -------------------


def _viewer_id(viewer: Viewer) -> int | None:
    return viewer.pk if is_signed_in_member(viewer) else None


def _author_label(post: Discussion | Reply, viewer_id: int | None) -> tuple[str, bool]:
    """What to call the author, and whether naming (and linking) them is allowed."""
    if post.is_anonymous:
        if viewer_id is not None and post.author_id == viewer_id:
            return "you (anonymous)", False
        return "Anonymous member", False
    if post.author is None:
        return "A former member", False
    return post.author.public_name, True


def _by_blocked_member(post: Discussion | Reply, blocked_ids: set[int]) -> bool:
    # Anonymous posts are never collapsed: that would tell the blocker who wrote them.
    return not post.is_anonymous and post.author_id is not None and post.author_id in blocked_ids


def present_replies(
    replies: list[Reply],
    *,
    viewer: Viewer,
    discussion: Discussion,
    may_reply: bool = False,
    may_moderate: bool = False,
    blocked_ids: set[int] | None = None,
) -> list[Reply]:
    """Set what ``_reply.html`` needs on each reply, for this viewer. Two queries at
    most (professional badges, members the viewer blocked), whatever the number of replies.

    Replies must carry ``parent_number`` (see ``_reply_rows``) and ``author``.
    """
    from accounts.selectors import attach_badges, blocked_ids_for

    viewer_id = _viewer_id(viewer)
    if blocked_ids is None:
        blocked_ids = blocked_ids_for(viewer) if replies else set()
    attach_badges([reply for reply in replies if not reply.is_tombstone])
    for reply in replies:
        reply.author_label, reply.show_author = _author_label(reply, viewer_id)
        reply.is_discussion_author = (
            not reply.is_anonymous
            and not discussion.is_anonymous
            and reply.author_id is not None
            and reply.author_id == discussion.author_id
        )
        reply.is_own = viewer_id is not None and reply.author_id == viewer_id
        reply.can_edit = reply.is_own and not reply.is_tombstone and not discussion.is_locked
        reply.can_delete = reply.is_own and not reply.is_tombstone
        reply.can_see_history = reply.is_own and not reply.is_tombstone and reply.edited_at is not None
        reply.can_answer = may_reply and reply.is_published
        reply.indent = min(reply.depth, MAX_INDENT)
        reply.show_parent_link = reply.parent_number is not None and reply.depth > MAX_INDENT
        reply.discussion_pk = discussion.pk
        reply.by_blocked = _by_blocked_member(reply, blocked_ids)
        reply.can_flag = viewer_id is not None and not reply.is_own and reply.is_published
        reply.can_moderate = may_moderate and not reply.is_tombstone
        if reply.is_tombstone:
            reply.professional_badge = None
    return replies


def _reply_rows(queryset: QuerySet[Reply]) -> QuerySet[Reply]:
    return queryset.select_related("author").annotate(parent_number=F("parent__number"))


def render_reply_html(reply: Reply, *, request: HttpRequest | None = None) -> str:
    return render_to_string("discussions/_reply.html", {"reply": reply}, request=request)


def reply_html_for_viewer(*, viewer: Viewer, discussion: Discussion, number: int) -> str | None:
    """One reply rendered for live updates, or None if the viewer may not see it. The
    caller has already checked the viewer may see the discussion.

    ``viewer`` stands in for a whole audience (visitors, members, moderators, the
    reply's author), so nothing personal to the stand-in may shape the HTML: not
    whom they blocked, not whether they in particular may reply (the reply POST
    checks that for each member).
    """
    reply = _reply_rows(reply_list_visible_to(viewer, discussion)).filter(number=number).first()
    if reply is None:
        return None
    present_replies(
        [reply],
        viewer=viewer,
        discussion=discussion,
        may_reply=is_signed_in_member(viewer) and discussion.is_published and not discussion.is_locked,
        may_moderate=can_moderate(viewer, discussion),
        blocked_ids=set(),
    )
    return render_reply_html(reply)


# --- The discussion page -----------------------------------------------------------


@dataclass
class _Window:
    replies: list[Reply]
    next_url: str | None
    is_first: bool


def _reply_window(request: HttpRequest, discussion: Discussion) -> _Window:
    """A window of REPLY_WINDOW replies in thread order, cut by path (keyset), so
    reading page 100 costs what page 1 costs."""
    visible = reply_list_visible_to(request.user, discussion)
    rows = _reply_rows(visible)
    start = request.GET.get("from", "")
    at = request.GET.get("at", "")
    is_first = True
    if NUMBER.fullmatch(at):
        anchor = visible.filter(number=int(at)).values_list("path", flat=True).first()
        if anchor:
            rows = rows.filter(path__gte=anchor)
            is_first = False
    elif len(start) <= 255 and THREAD_PATH.fullmatch(start):
        rows = rows.filter(path__gt=start)
        is_first = False
    replies = list(rows.order_by("path")[: REPLY_WINDOW + 1])
    next_url = None
    if len(replies) > REPLY_WINDOW:
        following = replies.pop()
        next_url = "?" + urlencode({"from": replies[-1].path}) + f"#reply-{following.number}"
    return _Window(replies=replies, next_url=next_url, is_first=is_first)


def _tag_links(discussion: Discussion, viewer: Viewer) -> list[dict]:
    """The discussion's hashtags the viewer may know of: a member of one private
    community must not learn of another it is also tagged into."""
    links = []
    is_known = ExpressionWrapper(tag_known_to(viewer), output_field=BooleanField())
    tags = list(discussion.tags.annotate(is_known=is_known).select_related("community").order_by("name"))
    # Read here anyway, so Discussion.is_public needs no query of its own.
    discussion.in_private_community = any(
        getattr(tag, "community", None) is not None and tag.community.is_private for tag in tags
    )
    for tag in tags:
        if not tag.is_known:
            continue
        community = getattr(tag, "community", None)
        slug = community.slug if community is not None else tag.slug
        links.append({"slug": slug, "name": community.name if community is not None else tag.name})
    return links


def _tag_slugs(discussion: Discussion, viewer: Viewer) -> list[str]:
    return [tag["slug"] for tag in _tag_links(discussion, viewer)]


def _link_preview(discussion: Discussion, *, is_public: bool) -> dict | None:
    """Open Graph and description meta, for public discussions only (``Discussion.is_public``).
    Behind a content warning the description is the warning's label, never the text."""
    if not is_public:
        return None
    if discussion.content_warning:
        description = f"Content warning: {discussion.content_warning}"
    else:
        text = " ".join(unescape(strip_tags(discussion.body_html)).split())
        description = text if len(text) <= PREVIEW_LENGTH else text[: PREVIEW_LENGTH - 1].rstrip() + "…"
    return {"title": discussion.title, "description": description, "type": "article"}


def _render_discussion(
    request: HttpRequest,
    discussion: Discussion,
    *,
    reply_form: ReplyForm | None = None,
    reply_error: str = "",
    nudge: Nudge | None = None,
    status: int = 200,
) -> HttpResponse:
    from accounts.selectors import (
        attach_badges,
        blocked_ids_for,
        has_two_factor,
        is_verified_professional,
        verified_reply_exists,
    )

    viewer = request.user
    refusal = reply_refusal(viewer, discussion)
    may_reply = refusal is None
    may_moderate = can_moderate(viewer, discussion)
    window = _reply_window(request, discussion)
    blocked_ids = blocked_ids_for(viewer)
    discussion.by_blocked = _by_blocked_member(discussion, blocked_ids)
    present_replies(
        window.replies,
        viewer=viewer,
        discussion=discussion,
        may_reply=may_reply,
        may_moderate=may_moderate,
        blocked_ids=blocked_ids,
    )
    attach_badges([discussion])
    discussion.author_label, discussion.show_author = _author_label(discussion, _viewer_id(viewer))
    is_author = _viewer_id(viewer) is not None and discussion.author_id == viewer.pk

    if reply_form is None and may_reply:
        initial = {}
        reply_to = request.GET.get("reply_to", "")
        if NUMBER.fullmatch(reply_to):
            initial["parent"] = int(reply_to)
        draft = drafts.draft_get(viewer, drafts.reply_key(discussion.pk))
        if draft is not None:
            initial.update(body=draft.body, content_warning=draft.content_warning)
        reply_form = ReplyForm(initial=initial)
    replying_to = None
    if reply_form is not None:
        parent_value = reply_form["parent"].value()
        if parent_value not in (None, ""):
            replying_to = parent_value

    verified_professional = may_reply and is_verified_professional(viewer)
    two_factor = verified_professional and has_two_factor(viewer)
    tag_links = _tag_links(discussion, viewer)
    is_public = discussion.is_public
    indexable = is_public and not viewer.is_authenticated
    response = render(
        request,
        "discussions/detail.html",
        {
            "discussion": discussion,
            "tag_links": tag_links,
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
            "badge_needs_two_factor": verified_professional and not two_factor,
            "verified_replied": Discussion.objects.filter(pk=discussion.pk)
            .annotate(verified=verified_reply_exists())
            .values_list("verified", flat=True)
            .get(),
            "related": related_discussions(viewer=viewer, discussion=discussion),
            "can_flag": is_signed_in_member(viewer) and not is_author and discussion.is_published,
            "indexable": indexable,
            "visibility_label": Visibility(discussion.visibility).audience([tag["slug"] for tag in tag_links]),
            "link_preview": _link_preview(discussion, is_public=is_public),
            "privacy_nudge": nudge,
        },
        status=status,
    )
    response.indexable = indexable
    return response


@require_safe
def discussion_detail(request: HttpRequest, pk: int, slug: str = "") -> HttpResponse:
    # The slug is decoration: a wrong one still shows the page, and there is no
    # redirect to the right one (that would reveal the title of a hidden post).
    discussion = discussion_get_visible_or_404(request.user, pk)
    return _render_discussion(request, discussion)


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


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            # Errors about hidden fields (the parent number) are shown above the form.
            shown = field in form.fields and not form.fields[field].widget.is_hidden
            form.add_error(field if shown else None, messages_)
    else:
        form.add_error(None, error.messages)


def _prefill_hashtag(request: HttpRequest) -> str:
    raw = request.GET.get("c", "")
    try:
        name = normalise_hashtag(raw)
    except InvalidHashtag:
        return ""
    community = community_resolve(name, viewer=request.user)
    return f"#{community.slug}" if community is not None else ""


def _verified_or_redirect(request: HttpRequest) -> HttpResponse | None:
    if services.has_verified_email(request.user):
        return None
    messages.warning(request, services.UNVERIFIED_MESSAGE)
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
                discussion = services.discussion_create(
                    author=request.user,
                    title=data["title"],
                    body=data["body"],
                    hashtags=data["hashtags"],
                    visibility=visibility,
                    is_anonymous=data["anonymous"],
                    content_warning=data["content_warning"],
                    as_professional=data["as_professional"],
                    submission_token=data["submission_token"],
                )
            except ValidationError as error:
                _add_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                drafts.draft_discard(user=request.user, key=drafts.NEW_DISCUSSION_KEY)
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
        "offer_badge": _offers_badge(request.user),
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


def _offers_badge(viewer: Viewer) -> bool:
    from accounts.selectors import can_act_as_professional

    return can_act_as_professional(viewer)


# --- Replying ------------------------------------------------------------------------


def _reply_url(discussion: Discussion, reply: Reply, viewer: Viewer) -> str:
    """Where a new reply can be seen: the first window if it is in it, else a window
    starting at the reply."""
    before = reply_list_visible_to(viewer, discussion).filter(path__lt=reply.path).count()
    base = reverse("discussions:detail_short", kwargs={"pk": discussion.pk})
    if before < REPLY_WINDOW:
        return f"{base}#reply-{reply.number}"
    return f"{base}?at={reply.number}#reply-{reply.number}"


@sensitive_post_parameters("body")
@require_http_methods(["GET", "HEAD", "POST"])
def reply_post(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        # A discussion titled "Reply" has this as its slug URL: show the page.
        return discussion_detail(request, pk, "reply")
    discussion = discussion_get_visible_or_404(request.user, pk)
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
        reply = services.reply_create(
            author=request.user,
            discussion=discussion,
            body=data["body"],
            parent_number=data["parent"],
            is_anonymous=data["anonymous"],
            as_professional=data["as_professional"],
            content_warning=data["content_warning"],
            submission_token=data["submission_token"],
        )
    except Discussion.DoesNotExist:
        raise Http404("No such discussion.") from None
    except PermissionDenied as error:
        return _render_discussion(request, discussion, reply_form=form, reply_error=str(error), status=403)
    except ValidationError as error:
        _add_errors(form, error)
        return _render_discussion(request, discussion, reply_form=form, status=400)
    drafts.draft_discard(user=request.user, key=drafts.reply_key(pk))
    if reply.discussion_id != discussion.pk:
        discussion = reply.discussion
    return _after_posting(request, reply, _reply_url(discussion, reply, request.user))


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
    rows = _reply_rows(reply_list_visible_to(request.user, discussion)).filter(number__gt=after)
    replies = list(rows.order_by("number")[: CATCH_UP_LIMIT + 1])
    has_more = len(replies) > CATCH_UP_LIMIT
    replies = replies[:CATCH_UP_LIMIT]
    present_replies(
        replies,
        viewer=request.user,
        discussion=discussion,
        may_reply=can_reply(request.user, discussion),
        may_moderate=can_moderate(request.user, discussion),
    )
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


# --- Author actions ----------------------------------------------------------------------


def _own_discussion_or_404(request: HttpRequest, pk: int) -> Discussion:
    discussion = discussion_get_visible_or_404(request.user, pk)
    if discussion.author_id != request.user.pk:
        raise Http404
    return discussion


def _own_reply_or_404(request: HttpRequest, pk: int, number: int) -> tuple[Discussion, Reply]:
    discussion = discussion_get_visible_or_404(request.user, pk)
    reply = reply_list_visible_to(request.user, discussion).filter(number=number, author=request.user).first()
    if reply is None or reply.is_tombstone:
        raise Http404
    reply.discussion = discussion
    return discussion, reply


@sensitive_post_parameters(*SENSITIVE_FIELDS)
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def discussion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    discussion = _own_discussion_or_404(request, pk)
    status = 200
    if request.method == "POST":
        form = DiscussionEditForm(request.POST)
        if form.is_valid():
            try:
                services.discussion_edit(
                    acting_user=request.user,
                    discussion=discussion,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    content_warning=form.cleaned_data["content_warning"],
                )
            except ValidationError as error:
                _add_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Your changes are saved.")
                return redirect(discussion.get_absolute_url())
        status = 400
    else:
        form = DiscussionEditForm(
            initial={"title": discussion.title, "body": discussion.body, "content_warning": discussion.content_warning}
        )
    return render(request, "discussions/edit.html", {"discussion": discussion, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def discussion_delete(request: HttpRequest, pk: int) -> HttpResponse:
    discussion = _own_discussion_or_404(request, pk)
    if request.method == "POST":
        services.discussion_delete_by_author(acting_user=request.user, discussion=discussion)
        messages.success(request, "Your discussion is deleted.")
        return redirect("home")
    return render(request, "discussions/confirm_delete.html", {"discussion": discussion, "reply": None})


@sensitive_post_parameters("body")
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def reply_edit(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    discussion, reply = _own_reply_or_404(request, pk, number)
    status = 200
    if request.method == "POST":
        form = ReplyEditForm(request.POST)
        if form.is_valid():
            try:
                services.reply_edit(
                    acting_user=request.user,
                    reply=reply,
                    body=form.cleaned_data["body"],
                    content_warning=form.cleaned_data["content_warning"],
                )
            except ValidationError as error:
                _add_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Your reply is updated.")
                return redirect(_reply_url(discussion, reply, request.user))
        status = 400
    else:
        form = ReplyEditForm(initial={"body": reply.body, "content_warning": reply.content_warning})
    return render(
        request, "discussions/reply_edit.html", {"discussion": discussion, "reply": reply, "form": form}, status=status
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def reply_delete(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    discussion, reply = _own_reply_or_404(request, pk, number)
    if request.method == "POST":
        services.reply_delete_by_author(acting_user=request.user, reply=reply)
        messages.success(request, f"Reply #{reply.number} is deleted.")
        return redirect(_reply_url(discussion, reply, request.user))
    return render(request, "discussions/confirm_delete.html", {"discussion": discussion, "reply": reply})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def discussion_visibility(request: HttpRequest, pk: int) -> HttpResponse:
    """The author narrows at once and widens after a confirmation naming who will be
    able to read; moderators and staff, with two-factor sign-in, only narrow."""
    discussion = discussion_get_visible_or_404(request.user, pk)
    is_author = discussion.author_id == request.user.pk
    if not is_author:
        if not can_moderate(request.user, discussion):
            raise Http404
        needs_two_factor = two_factor_setup_redirect(request)
        if needs_two_factor is not None:
            return needs_two_factor
    offered = (
        None if is_author else [value for value in Visibility.values if not is_wider(value, discussion.visibility)]
    )
    status = 200
    if request.method == "POST":
        form = VisibilityForm(request.POST, offered=offered, moderating=not is_author)
        form.name_audience(_tag_slugs(discussion, request.user))
        if form.is_valid():
            visibility = form.cleaned_data["visibility"]
            try:
                services.discussion_set_visibility(
                    acting_user=request.user,
                    discussion=discussion,
                    visibility=visibility,
                    confirmed=request.POST.get("confirm") == visibility,
                    reason=form.cleaned_data.get("reason", ""),
                )
            except services.AudienceConfirmationRequired:
                return _confirm_wider_audience(request, discussion, visibility)
            except AlreadyHandled as already:
                messages.info(request, str(already))
                return redirect(discussion.get_absolute_url())
            except ValidationError as error:
                _add_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Who can read this discussion is updated.")
                return redirect(discussion.get_absolute_url())
        status = 400
    else:
        form = VisibilityForm(initial={"visibility": discussion.visibility}, offered=offered, moderating=not is_author)
        form.name_audience(_tag_slugs(discussion, request.user))
    return render(
        request,
        "discussions/visibility.html",
        {"discussion": discussion, "form": form, "is_moderator": not is_author},
        status=status,
    )


def _confirm_wider_audience(request: HttpRequest, discussion: Discussion, visibility: str) -> HttpResponse:
    """Nothing has changed yet: say who would be able to read it, then ask again."""
    details = []
    if visibility == Visibility.PUBLIC:
        details = identifying_details(f"{discussion.title}\n{discussion.body}", author=request.user)
    return render(
        request,
        "discussions/visibility_confirm.html",
        {
            "discussion": discussion,
            "visibility": visibility,
            "visibility_label": Visibility(visibility).label,
            "audience": audience_description(discussion, visibility),
            "replies_by_others": reply_count_by_others(discussion),
            "privacy_details": details,
        },
    )


# --- The author's own edit history --------------------------------------------------------


def _own_reply_history_or_404(request: HttpRequest, pk: int, number: int) -> tuple[Discussion, Reply]:
    """The viewer's own reply, also when they deleted it (its earlier versions are still
    theirs to remove), but not when moderators removed it."""
    discussion = discussion_get_visible_or_404(request.user, pk)
    reply = (
        reply_list_visible_to(request.user, discussion)
        .filter(number=number, author=request.user)
        .exclude(status=Reply.Status.REMOVED)
        .first()
    )
    if reply is None:
        raise Http404
    reply.discussion = discussion
    return discussion, reply


def _revisions_page(request: HttpRequest, discussion: Discussion, post: Discussion | Reply) -> HttpResponse:
    revisions = revision_list_of(post)
    revisions.reverse()
    return render(
        request,
        "discussions/revisions.html",
        {
            "discussion": discussion,
            "post": post,
            "reply": post if isinstance(post, Reply) else None,
            "revisions": revisions,
        },
    )


def _revision_purge(
    request: HttpRequest, discussion: Discussion, post: Discussion | Reply, version: int, history_url: str
) -> HttpResponse:
    revision = next((r for r in revision_list_of(post) if r.number == version), None)
    if revision is None:
        raise Http404
    if request.method == "POST":
        try:
            services.revision_purge(acting_user=request.user, post=post, number=version)
        except ValidationError:
            raise Http404 from None
        except PermissionDenied as refusal:
            messages.error(request, str(refusal))
            return redirect(history_url)
        messages.success(request, f"The text of version {version} is removed for good.")
        return redirect(history_url)
    return render(
        request,
        "discussions/revision_purge.html",
        {
            "discussion": discussion,
            "reply": post if isinstance(post, Reply) else None,
            "revision": revision,
            "history_url": history_url,
        },
    )


@login_required
@require_safe
def discussion_revisions(request: HttpRequest, pk: int) -> HttpResponse:
    """The author's own earlier versions of their discussion, each one removable."""
    discussion = _own_discussion_or_404(request, pk)
    return _revisions_page(request, discussion, discussion)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def discussion_revision_purge(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    discussion = _own_discussion_or_404(request, pk)
    history_url = reverse("discussions:revisions", kwargs={"pk": pk})
    return _revision_purge(request, discussion, discussion, version, history_url)


@login_required
@require_safe
def reply_revisions(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """The author's own earlier versions of their reply, each one removable."""
    discussion, reply = _own_reply_history_or_404(request, pk, number)
    return _revisions_page(request, discussion, reply)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def reply_revision_purge(request: HttpRequest, pk: int, number: int, version: int) -> HttpResponse:
    discussion, reply = _own_reply_history_or_404(request, pk, number)
    history_url = reverse("discussions:reply_revisions", kwargs={"pk": pk, "number": number})
    return _revision_purge(request, discussion, reply, version, history_url)


# --- Moderator actions ------------------------------------------------------------------


def _moderated_discussion_or_404(request: HttpRequest, pk: int) -> Discussion:
    discussion = discussion_get_visible_or_404(request.user, pk)
    if not can_moderate(request.user, discussion):
        raise Http404
    return discussion


@login_required
@require_safe
@privileged_action_requires_2fa
def discussion_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Earlier versions of the discussion and its replies, for moderators."""
    discussion = _moderated_discussion_or_404(request, pk)
    revisions = discussion.revisions.select_related("edited_by")[:200]
    reply_revisions = (
        Revision.objects.filter(reply__discussion=discussion)
        .select_related("edited_by", "reply")
        .order_by("reply__number", "-created_at")[:500]
    )
    return render(
        request,
        "discussions/history.html",
        {"discussion": discussion, "revisions": revisions, "reply_revisions": reply_revisions},
    )
