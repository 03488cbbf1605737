"""What every admin page of the project builds on.

The admin shows; it does not write. Every change of state goes through a
service, which checks the acting member's right, audits the change and
announces it (live events, search), and the admin's generic forms do none of
that. So domain models are registered with ``ReadOnlyModelAdmin`` and their
inlines with ``ReadOnlyInline``; changes are made on the product's own screens.
"""

from django.contrib import admin
from django.http import HttpRequest


class ReadOnlyAdminMixin:
    """No add, change or delete in the admin, for any user (superusers included)."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyModelAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
