from django.contrib import admin

from audit.models import AuditEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """History (audit entries, meeting events) can be read in the admin, never written."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "at", "actor_name", "action", "meeting_id", "object_type", "object_id")
    list_filter = ("action",)
