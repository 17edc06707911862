"""Admin shows polls only. VoterRecord and Tally are deliberately not registered: the admin must
never offer a page where 'who voted' and 'the counters' can be watched side by side."""
from django.contrib import admin

from voting.models import Poll


@admin.register(Poll)
class PollAdmin(admin.ModelAdmin):
    list_display = ("title", "meeting", "kind", "secret", "analog", "status")
    list_filter = ("kind", "secret", "status")
    readonly_fields = [f.name for f in Poll._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
