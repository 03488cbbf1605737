"""A member's own reading state: /saved/ (bookmarks with a note), /following/ (with what is
new in each), and the forms on the discussion page that save or follow it.

Private: every page and form here shows or changes the signed-in member's own rows only,
and names only discussions they may read now (``discussions.selectors``); a discussion
they can no longer read is a 404 here, like anywhere else.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from discussions.forms import BookmarkForm, add_service_errors
from discussions.models import Bookmark
from discussions.presenters import mark_unread
from discussions.reading_selectors import bookmark_list_of, bookmark_of, followed_discussion_list
from discussions.reading_services import bookmark_remove, bookmark_save, discussion_follow, discussion_unfollow
from discussions.selectors import (
    discussion_get_visible_or_404,
)
from spoonful.pagination import page_of
from spoonful.redirects import safe_next

SAVED_PER_PAGE = 30
FOLLOWING_PER_PAGE = 30


@login_required
@require_safe
def saved_list(request: HttpRequest) -> HttpResponse:
    page = page_of(request, bookmark_list_of(request.user), SAVED_PER_PAGE)
    bookmarks = list(page.object_list)
    mark_unread([bookmark.discussion for bookmark in bookmarks], request.user)
    context = {"page": page, "bookmarks": bookmarks, "note_max_length": Bookmark.NOTE_MAX_LENGTH}
    return render(request, "discussions/saved.html", context)


@login_required
@require_safe
def following_list(request: HttpRequest) -> HttpResponse:
    page = page_of(request, followed_discussion_list(request.user), FOLLOWING_PER_PAGE)
    discussions = mark_unread(page.object_list, request.user)
    return render(request, "discussions/following.html", {"page": page, "discussions": discussions})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def bookmark_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Save a discussion with an optional note, or change the note; GET shows the form."""
    discussion = discussion_get_visible_or_404(request.user, pk)
    bookmark = bookmark_of(request.user, discussion)
    status = 200
    if request.method == "POST":
        form = BookmarkForm(request.POST)
        if form.is_valid():
            # The page's one-click "Save" sends no note: it keeps the one already written.
            note = form.cleaned_data["note"] if "note" in request.POST else getattr(bookmark, "note", "")
            try:
                bookmark_save(user=request.user, discussion=discussion, note=note)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Saved. You'll find it on your Saved page.")
                return redirect(safe_next(request, discussion.get_absolute_url()))
        status = 400
    else:
        form = BookmarkForm(initial={"note": bookmark.note if bookmark else ""})
    context = {
        "discussion": discussion,
        "bookmark": bookmark,
        "form": form,
        "next": safe_next(request, discussion.get_absolute_url()),
    }
    return render(request, "discussions/bookmark.html", context, status=status)


@login_required
@require_POST
def bookmark_delete(request: HttpRequest, pk: int) -> HttpResponse:
    discussion = discussion_get_visible_or_404(request.user, pk)
    bookmark_remove(user=request.user, discussion=discussion)
    messages.success(request, "Removed from your Saved page.")
    return redirect(safe_next(request, discussion.get_absolute_url()))


@login_required
@require_POST
def follow(request: HttpRequest, pk: int) -> HttpResponse:
    discussion = discussion_get_visible_or_404(request.user, pk)
    discussion_follow(user=request.user, discussion=discussion)
    messages.success(request, "Following. New replies show on your Following page.")
    return redirect(safe_next(request, discussion.get_absolute_url()))


@login_required
@require_POST
def unfollow(request: HttpRequest, pk: int) -> HttpResponse:
    discussion = discussion_get_visible_or_404(request.user, pk)
    discussion_unfollow(user=request.user, discussion=discussion)
    messages.success(request, "No longer following. Replying here will not follow it again.")
    return redirect(safe_next(request, discussion.get_absolute_url()))
