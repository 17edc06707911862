"""Background tasks of notices (django-tasks, run by `manage.py db_worker --queue-name notices`).

django-tasks does not retry by itself: a failed send is recorded on its Delivery (attempts, last
error, next attempt) and queued again with `run_after`, the wait doubling each time, until
NOTICE_MAX_ATTEMPTS; then the delivery is marked failed for an admin to see (Django admin).
"""
import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from django_tasks import task
from notifications.channels import CHANNELS
from notifications.models import Delivery

log = logging.getLogger(__name__)
D = Delivery.Status


@task(queue_name="notices")
def deliver(delivery_id: int) -> str:
    # Claim it: of two runs of the same task (a retry racing a duplicate), only one sends.
    if not Delivery.objects.filter(pk=delivery_id, status=D.PENDING).update(
            status=D.SENDING, attempts=F("attempts") + 1):
        return "already handled"
    delivery = Delivery.objects.select_related("notice", "recipient").get(pk=delivery_id)
    try:
        CHANNELS[delivery.channel].send(delivery.notice, delivery)
    except Exception as error:  # noqa: BLE001 — any failure of the channel is recorded and retried
        return _failed(delivery, error)
    Delivery.objects.filter(pk=delivery.pk).update(status=D.SENT, sent_at=timezone.now(), next_attempt_at=None)
    return "sent"


def _failed(delivery: Delivery, error: Exception) -> str:
    text = f"{type(error).__name__}: {error}"[:2000]
    if delivery.attempts >= settings.NOTICE_MAX_ATTEMPTS:
        log.warning("notice %s to %s failed for good: %s", delivery.notice_id, delivery.address, text)
        Delivery.objects.filter(pk=delivery.pk).update(status=D.FAILED, last_error=text, next_attempt_at=None)
        return "failed"
    wait = timedelta(seconds=settings.NOTICE_RETRY_SECONDS * 2 ** (delivery.attempts - 1))
    at = timezone.now() + wait
    Delivery.objects.filter(pk=delivery.pk).update(status=D.PENDING, last_error=text, next_attempt_at=at)
    deliver.using(run_after=at).enqueue(delivery.pk)
    return "retry"


def retry_now(delivery: Delivery) -> None:
    """An admin sends a failed (or stuck) delivery again."""
    Delivery.objects.filter(pk=delivery.pk).update(status=D.PENDING, next_attempt_at=None)
    deliver.enqueue(delivery.pk)


@task(queue_name="notices")
def remind_deadlines() -> int:
    """Tomorrow's deadlines to the people concerned, then the same again tomorrow morning."""
    from notifications import reminders

    sent = reminders.send_for(timezone.localdate() + timedelta(days=1))
    reminders.schedule_next()
    return sent
