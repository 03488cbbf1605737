from django.contrib import admin

from accounts.admin_base import ReadOnlyModelAdmin
from discussions.models import AuthorAction, Discussion, Reply, Revision


@admin.register(Discussion)
class DiscussionAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "title", "status", "visibility", "is_pinned", "is_locked", "published_reply_count"]
    list_filter = ["status", "visibility", "is_pinned", "is_locked"]
    search_fields = ["title"]
    raw_id_fields = ["author"]


@admin.register(Reply)
class ReplyAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "discussion", "number", "status", "depth"]
    list_filter = ["status"]
    raw_id_fields = ["author", "discussion", "parent"]


@admin.register(Revision)
class RevisionAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "discussion", "reply", "edited_by", "created_at"]
    raw_id_fields = ["discussion", "reply", "edited_by"]


@admin.register(AuthorAction)
class AuthorActionAdmin(ReadOnlyModelAdmin):
    list_display = ["created_at", "actor", "kind", "discussion", "reply", "revision_number"]
    list_filter = ["kind"]
    date_hierarchy = "created_at"
