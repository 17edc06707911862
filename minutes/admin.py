from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from minutes import services
from minutes.models import SigningCredential


@admin.register(SigningCredential)
class SigningCredentialAdmin(admin.ModelAdmin):
    """Certificates can be listed and revoked here; keys (encrypted) are never shown or edited."""

    list_display = ("subject_name", "user", "source", "not_after", "is_active", "revoked_at")
    list_filter = ("source", "is_active")
    fields = ("user", "source", "subject_name", "not_after", "is_active", "revoked_at", "cert_pem")
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Thu hồi chứng thư (mất khóa, thôi giữ chức vụ)"))
    def revoke(self, request, queryset):
        for credential in queryset:
            services.credential_revoke(actor=request.user, credential=credential)
        self.message_user(request, _("Đã thu hồi; danh sách thu hồi (CRL) của tổ chức đã cập nhật."),
                          messages.SUCCESS)
