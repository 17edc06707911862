from django.contrib import admin

from audit.admin import ReadOnlyAdmin

from sessions.models import AgendaItem, Attendance, Committee, Device, Event, Meeting, MeetingGuest, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Committee)
class CommitteeAdmin(admin.ModelAdmin):
    list_display = ("name", "parent")
    search_fields = ("name",)
    inlines = [MembershipInline]


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    extra = 0
    fk_name = "meeting"


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("title", "committee", "starts_at", "status")
    list_filter = ("status", "committee")
    inlines = [AgendaItemInline]
    readonly_fields = ("last_seq", "agenda_version")


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ("meeting", "user", "status", "reason")


@admin.register(MeetingGuest)
class MeetingGuestAdmin(admin.ModelAdmin):
    list_display = ("meeting", "user")


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    """A device's session key is never shown: pasted into a cookie it would sign in as its owner.
    Devices come from sign-ins only; revoking one is a change of revoked_at."""
    list_display = ("user", "user_agent", "created_at", "last_seen", "revoked_at")
    exclude = ("session_key",)
    readonly_fields = ("user", "user_agent")

    def has_add_permission(self, request):
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("meeting", "seq", "type", "created_at")
    list_filter = ("type",)
