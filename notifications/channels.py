"""Channels a notice goes out on. Only e-mail exists; SMS or Zalo OA would be another class with the
same two methods, registered in CHANNELS (docs/decisions-notifications.md)."""
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from notifications import registry


class Channel(Protocol):
    code: str

    def address(self, user) -> str:
        """Where this person is reached on this channel; "" when they cannot be."""

    def send(self, notice, recipient) -> None:
        """Deliver `notice` to `recipient` (a Delivery: person and address); raise on failure."""


def render(notice, user) -> dict:
    """Subject, lines and link of a notice, in the site's language (source strings: Vietnamese)."""
    from sessions.selectors import display_name

    spec = registry.get(notice.kind)
    with translation.override(settings.LANGUAGE_CODE):
        subject, lines = spec.render(notice.context)
        return {"subject": subject, "lines": lines, "url": notice.context["url"], "action": str(spec.action),
                "name": display_name(user), "kind_label": str(spec.label)}


class EmailChannel:
    code = "email"

    def address(self, user) -> str:
        return (user.email or "").strip()

    def send(self, notice, recipient) -> None:
        message = render(notice, recipient.recipient)
        with translation.override(settings.LANGUAGE_CODE):
            text = render_to_string("notifications/email/email.txt", message)
            html = render_to_string("notifications/email/email.html", message)
        email = EmailMultiAlternatives(message["subject"], text, to=[recipient.address],
                                       headers={"Auto-Submitted": "auto-generated"})
        email.attach_alternative(html, "text/html")
        for a in notice.attachments:
            email.attach(a["filename"], a["content"], a["mimetype"])
        email.send(fail_silently=False)


CHANNELS: dict[str, Channel] = {"email": EmailChannel()}
