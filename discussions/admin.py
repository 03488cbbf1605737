from django.contrib import admin

from discussions.models import Discussion, Reply, Revision


@admin.register(Discussion)
class DiscussionAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "status", "visibility", "is_pinned", "is_locked", "published_reply_count"]
    list_filter = ["status", "visibility", "is_pinned", "is_locked"]
    search_fields = ["title"]
    raw_id_fields = ["author"]
    readonly_fields = ["body_html", "last_reply_number", "published_reply_count", "submission_token"]


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
