from django.contrib.admin.apps import AdminConfig


class AuditedAdminConfig(AdminConfig):
    """django.contrib.admin with a site that audits every change (audit.admin_audit)."""

    default_site = "audit.admin_audit.AuditedAdminSite"
