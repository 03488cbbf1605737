from django.contrib import admin

from discussions.models import AuthorAction, Discussion, Reply, Revision


@admin.register(Discussion)
class DiscussionAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "status", "visibility", "is_pinned", "is_locked", "published_reply_count"]
    list_filter = ["status", "visibility", "is_pinned", "is_locked"]
    search_fields = ["title"]
    raw_id_fields = ["author"]
    # Who can read changes only on the discussion's page: the author widens after a
    # confirmation, moderators and staff narrow with an audit row and a notice.
    readonly_fields = ["body_html", "visibility", "last_reply_number", "published_reply_count", "submission_token"]


@admin.register(Reply)
class ReplyAdmin(admin.ModelAdmin):
    list_display = ["id", "discussion", "number", "status", "depth"]
    list_filter = ["status"]
    raw_id_fields = ["author", "discussion", "parent"]
    # Numbers and thread positions are allocated by discussions.services only.
    readonly_fields = ["body_html", "number", "path", "depth", "submission_token"]


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    list_display = ["id", "discussion", "reply", "edited_by", "created_at"]
    raw_id_fields = ["discussion", "reply", "edited_by"]
    readonly_fields = ["purged_at"]


@admin.register(AuthorAction)
class AuthorActionAdmin(admin.ModelAdmin):
    """Read-only, like the moderation log."""

    list_display = ["created_at", "actor", "kind", "discussion", "reply", "revision_number"]
    list_filter = ["kind"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
