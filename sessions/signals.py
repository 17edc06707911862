"""Connect auth events to the real-time layer and the device list."""
from importlib import import_module

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from sessions.events import notify_user
from sessions.models import Device, Membership


@receiver(user_logged_in)
def _register_device(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    if not request.session.session_key:
        request.session.save()
    Device.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={"user": user, "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300], "revoked_at": None},
    )


@receiver(user_logged_out)
def _close_sockets_on_logout(sender, request, user, **kwargs):
    if user is None or request is None:
        return
    key = request.session.session_key
    if key:
        Device.objects.filter(session_key=key, revoked_at__isnull=True).update(revoked_at=timezone.now())
    notify_user(user.pk, {"type": "session.ended", "session_key": key or ""})


@receiver(post_save, sender=Device)
def _end_revoked_device(sender, instance, **kwargs):
    # However a device comes to be revoked (the service, the Django admin), its HTTP session is
    # deleted and its open sockets close (4408).
    if instance.revoked_at is None:
        return
    import_module(settings.SESSION_ENGINE).SessionStore(session_key=instance.session_key).delete()
    user_id, key = instance.user_id, instance.session_key
    transaction.on_commit(lambda: notify_user(user_id, {"type": "session.ended", "session_key": key}))


@receiver(post_save, sender=Membership)
@receiver(post_delete, sender=Membership)
def _membership_changed(sender, instance, **kwargs):
    # Any change of roles or membership, from a service or the Django admin, reaches the person's
    # open sockets: they re-check their permission and refresh what the tablet offers.
    user_id, committee_id = instance.user_id, instance.committee_id
    transaction.on_commit(lambda: notify_user(user_id, {"type": "membership.changed", "committee_id": committee_id}))
