from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from notifications import tasks
from notifications.models import Delivery


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Who was sent what, and what failed (attempts, last error): read-only, with a retry action."""
    list_display = ("created_at", "notice", "recipient", "address", "status", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("status", "notice__kind")
    search_fields = ("address", "notice__key")
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Gửi lại các thông báo đã chọn"))
    def send_again(self, request, queryset):
        for delivery in queryset.exclude(status=Delivery.Status.SENT):
            tasks.retry_now(delivery)
            audit_record(actor=request.user, action="notifications.sent_again", target=delivery.recipient,
                         data={"delivery": delivery.pk, "kind": delivery.notice.kind, "was": delivery.status})
