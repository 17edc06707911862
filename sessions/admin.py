from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext_lazy as _

from audit.admin import ReadOnlyAdmin
from sessions import services
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
    """Devices are revoked only through the service (audited; session and sockets end): the
    list's action or the button on a device's page (template admin/meeting_sessions/device/).
    A device's session key is never shown: pasted into a cookie it would sign in as its owner."""

    list_display = ("user", "user_agent", "created_at", "last_seen", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    exclude = ("session_key",)
    readonly_fields = ("user", "user_agent", "created_at", "last_seen", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False   # devices appear when someone signs in

    @admin.action(description=_("Thu hồi các thiết bị đã chọn (đăng xuất ngay)"), permissions=["change"])
    def revoke(self, request, queryset):
        devices = list(queryset.filter(revoked_at__isnull=True))
        for device in devices:
            services.device_revoke(actor=request.user, device=device)
        self.message_user(request, _("Đã thu hồi %(n)d thiết bị.") % {"n": len(devices)})

    def get_urls(self):
        revoke = path("<int:object_id>/revoke/", self.admin_site.admin_view(self.revoke_view),
                      name="meeting_sessions_device_revoke")
        return [revoke, *super().get_urls()]

    def revoke_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        device = self.get_object(request, str(object_id))
        if device is None or not self.has_change_permission(request, device):
            raise PermissionDenied
        self.revoke(request, Device.objects.filter(pk=device.pk))
        return redirect("admin:meeting_sessions_device_change", device.pk)


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("meeting", "seq", "type", "created_at")
    list_filter = ("type",)
