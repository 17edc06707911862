from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.shortcuts import render

from sessions import policy
from sessions.errors import NotFound
from sessions.models import Meeting, Membership
from sessions.selectors import user_meetings


@login_required
def home(request):
    memberships = (
        Membership.objects.filter(user=request.user, is_active=True).select_related("committee").order_by("committee__name")
    )
    meetings = user_meetings(request.user)
    ended = [Meeting.Status.CLOSED, Meeting.Status.CANCELLED]
    upcoming = meetings.exclude(status__in=ended).order_by("starts_at")
    past = meetings.filter(status__in=ended).order_by("-starts_at")[:20]
    can_prepare = request.user.is_superuser or any(m.is_secretary or m.is_admin for m in memberships)
    return render(request, "frontend/home.html", {
        "memberships": memberships, "upcoming": upcoming, "past": past, "can_prepare": can_prepare,
        "awaiting": _awaiting_consultations(request.user),
    })


def _awaiting_consultations(user) -> list:
    """Written consultations waiting for this user's answer (none when that app is not installed)."""
    try:
        from consultations.selectors import awaiting
    except ImportError:
        return []
    return awaiting(user)


def _meeting_or_404(user, meeting_id, action=policy.Action.VIEW):
    try:
        return policy.meeting_for(user, meeting_id, action)
    except NotFound:
        raise Http404 from None


def _can_console(user, meeting) -> bool:
    A = policy.Action
    return any(policy.can(user, a, meeting) for a in (A.RUN, A.RECORD_ATTENDANCE, A.PREPARE))


@login_required
def meeting_tablet(request, meeting_id: int):
    meeting = _meeting_or_404(request.user, meeting_id)
    return render(request, "frontend/meeting.html", {
        "meeting": meeting, "view": "tablet", "can_console": _can_console(request.user, meeting),
        "extra_links": extra_links(request.user, meeting),
    })


@login_required
def meeting_console(request, meeting_id: int):
    """The chair's (and secretary's) console: run the meeting, attendance, polls."""
    meeting = _meeting_or_404(request.user, meeting_id)
    if not _can_console(request.user, meeting):
        raise PermissionDenied
    return render(request, "frontend/console.html", {
        "meeting": meeting, "view": "chair", "extra_links": extra_links(request.user, meeting),
    })


@login_required
def meeting_projector(request, meeting_id: int):
    meeting = _meeting_or_404(request.user, meeting_id)
    return render(request, "frontend/projector.html", {"meeting": meeting, "view": "projector"})


# (url name, label, any of these actions) for pages other apps add to a meeting's views.
MEETING_LINKS = [
    ("prepare_meeting", _("Chuẩn bị cuộc họp"), {policy.Action.PREPARE}),
    ("minutes_edit", _("Biên bản"), {policy.Action.EDIT_MINUTES}),
    ("minutes_sign", _("Ký biên bản"), {policy.Action.SIGN_AS_SECRETARY, policy.Action.SIGN_AS_CHAIR}),
    ("minutes_verify", _("Kiểm tra biên bản đã ký"), {policy.Action.VIEW}),
]


def extra_links(user, meeting) -> list[dict]:
    links = []
    for name, label, actions in MEETING_LINKS:
        if not any(policy.can(user, action, meeting) for action in actions):
            continue
        try:
            links.append({"url": reverse(name, args=[meeting.pk]), "label": label})
        except NoReverseMatch:
            continue  # that page is not installed
    return links
