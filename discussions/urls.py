from django.urls import path

from discussions import (
    attachment_views,
    author_views,
    draft_views,
    reaction_views,
    reading_views,
    revision_views,
    search_views,
    views,
)

app_name = "discussions"

# Actions on a discussion sit two segments below it, so no title's slug can
# shadow them; "reply/", "replies/" and "react/" are public contract and show the page
# when fetched the way a slug URL would be.
urlpatterns = [
    path("search/", search_views.search, name="search"),
    path("saved/", reading_views.saved_list, name="saved"),
    path("following/", reading_views.following_list, name="following"),
    path("d/new/", views.discussion_new, name="new"),
    path("d/<int:pk>/", views.discussion_detail, name="detail_short"),
    path("d/<int:pk>/reply/", views.reply_post, name="reply"),
    path("d/<int:pk>/replies/", views.replies_after, name="replies"),
    path("d/<int:pk>/attachments/<int:attachment_id>/", attachment_views.attachment_file, name="attachment"),
    path("d/<int:pk>/react/", reaction_views.reaction_post, name="react"),
    path("d/<int:pk>/replies/<int:number>/reactions/", reaction_views.reply_reactions, name="reply_reactions"),
    path("d/<int:pk>/discussion/reactions/", reaction_views.discussion_reactions, name="reactions"),
    path("d/<int:pk>/replies/<int:number>/edit/", author_views.reply_edit, name="reply_edit"),
    path("d/<int:pk>/replies/<int:number>/delete/", author_views.reply_delete, name="reply_delete"),
    path("d/<int:pk>/replies/<int:number>/revisions/", revision_views.reply_revisions, name="reply_revisions"),
    path(
        "d/<int:pk>/replies/<int:number>/revisions/<int:version>/purge/",
        revision_views.reply_revision_purge,
        name="reply_revision_purge",
    ),
    path("d/<int:pk>/discussion/edit/", author_views.discussion_edit, name="edit"),
    path("d/<int:pk>/discussion/delete/", author_views.discussion_delete, name="delete"),
    path("d/<int:pk>/discussion/visibility/", author_views.discussion_visibility, name="visibility"),
    path("d/<int:pk>/discussion/save/", reading_views.bookmark_edit, name="bookmark"),
    path("d/<int:pk>/discussion/unsave/", reading_views.bookmark_delete, name="bookmark_delete"),
    path("d/<int:pk>/discussion/follow/", reading_views.follow, name="follow"),
    path("d/<int:pk>/discussion/unfollow/", reading_views.unfollow, name="unfollow"),
    path("d/<int:pk>/discussion/history/", revision_views.discussion_history, name="history"),
    path("d/<int:pk>/discussion/revisions/", revision_views.discussion_revisions, name="revisions"),
    path(
        "d/<int:pk>/discussion/revisions/<int:version>/purge/",
        revision_views.discussion_revision_purge,
        name="revision_purge",
    ),
    path("d/<int:pk>/<str:slug>/", views.discussion_detail, name="detail"),
    path("drafts/<str:key>/", draft_views.draft_save, name="draft_save"),
    path("drafts/<str:key>/discard/", draft_views.draft_discard, name="draft_discard"),
]
