"""Sending a notice: one call from any app, inside or outside a transaction.

    notices.send("consultation_opened", recipients=users,
                 context={"subject": c.title, "deadline": c.deadline, "url": c.get_absolute_url()})

Rows are written in the caller's transaction; the deliveries are queued for the worker only after
it commits (`transaction.on_commit`), so nothing is sent for a change that was rolled back and no
request ever waits for an SMTP server. Idempotent: the same (kind, about, version) to the same
person is one delivery, however many times this runs.
"""
from datetime import date, datetime
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise

from notifications import registry
from notifications.channels import CHANNELS
from notifications.models import Delivery, Notice, Preference

D = Delivery.Status


def send(kind: str, *, recipients, context: dict, about: str = "", version: str | int = 1,
         attachments: list[dict] | tuple = ()) -> Notice:
    """Record a notice for `recipients` (users) and queue its e-mails. `about` names the object
    ("meeting:12"); by default the page's URL does. `version` tells one change from the next."""
    spec = registry.get(kind)
    missing = [name for name in spec.needs if context.get(name) in (None, "")]
    if missing:
        raise ValueError(f"notice {kind!r} needs context {missing}")
    ctx = {name: jsonable(value) for name, value in context.items()}
    ctx["url"] = absolute_url(ctx["url"])
    spec.render(ctx)  # a missing placeholder fails here, in the caller's tests, not in the worker
    with transaction.atomic():
        notice, _created = Notice.objects.get_or_create(
            kind=kind, key=(about or ctx["url"])[:200], version=str(version),
            defaults={"context": ctx, "attachments": list(attachments)})
        queued = _deliveries(notice, recipients)
    if queued:
        transaction.on_commit(lambda: enqueue(queued))
    return notice


def _deliveries(notice: Notice, recipients) -> list[int]:
    users = {u.pk: u for u in recipients if u is not None}
    if not users:
        return []
    off = set(Preference.objects.filter(user_id__in=users, kind=notice.kind, email=False).values_list("user_id", flat=True))
    existing = set(Delivery.objects.filter(notice=notice, channel="email", recipient_id__in=users)
                   .values_list("recipient_id", flat=True))
    channel = CHANNELS["email"]
    queued = []
    for pk, user in users.items():
        if pk in existing:
            continue  # already recorded: sent, queued or skipped once is enough
        address = channel.address(user)
        status, why = D.PENDING, ""
        if not user.is_active:
            status, why = D.SKIPPED, "inactive user"
        elif not address:
            status, why = D.SKIPPED, "no e-mail address"
        elif pk in off:
            status, why = D.SKIPPED, "turned off by the recipient"
        delivery = Delivery.objects.create(notice=notice, recipient_id=pk, channel="email", address=address,
                                           status=status, last_error=why)
        if status == D.PENDING:
            queued.append(delivery.pk)
    return queued


def enqueue(delivery_ids: list[int]) -> None:
    from notifications.tasks import deliver

    for pk in delivery_ids:
        deliver.enqueue(pk)


def absolute_url(url: str) -> str:
    base = settings.PUBLIC_BASE_URL
    return urljoin(base if base.endswith("/") else base + "/", url.lstrip("/")) if base else url


def when(value: datetime) -> str:
    """A moment as Vietnamese readers write it, in the site's time zone: "08:30 ngày 15/10/2025"."""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return local.strftime("%H:%M ngày %d/%m/%Y")


def jsonable(value):
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, date):
        return value.strftime("ngày %d/%m/%Y")
    if isinstance(value, Promise):
        return str(value)
    return value


def recipients_by_id(ids) -> list:
    return list(get_user_model().objects.filter(pk__in=list(ids)))
