"""Every change made through the Django admin also goes into the audit chain.

One mechanism for all models, the project's and Django's own (users, groups): the admin site
(`AuditedAdminSite`, installed by `meetingroom.apps.AuditedAdminConfig`) gives every ModelAdmin it
registers the mixin below. Django's own LogEntry table stays as it is; it is neither chained nor
keyed, so an administrator could edit it — the audit chain cannot be edited unnoticed.
"""
from django.contrib import admin
from django.db import transaction

from audit.services import audit_record


def _record(request, action: str, obj, message) -> None:
    with transaction.atomic():
        audit_record(actor=request.user, action=action, target=obj, data={
            "model": obj._meta.label, "object_id": str(obj.pk), "object": str(obj)[:200],
            "change": message if isinstance(message, (str, list)) else str(message),
        })


class AuditedAdminMixin:
    def log_addition(self, request, obj, message):
        _record(request, "admin.added", obj, message)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        _record(request, "admin.changed", obj, message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            _record(request, "admin.deleted", obj, "")
        return super().log_deletions(request, queryset)


class AuditedAdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedAdminMixin):
            admin_class = type(admin_class.__name__, (AuditedAdminMixin, admin_class),
                               {"__module__": admin_class.__module__})
        super().register(model_or_iterable, admin_class, **options)
