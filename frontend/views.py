from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from sessions import policy
from sessions.errors import NotFound
from sessions.models import Meeting, Membership
from sessions.selectors import user_meetings


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


@login_required
def home(request):
    memberships = (
        Membership.objects.filter(user=request.user, is_active=True).select_related("committee").order_by("committee__name")
    )
    meetings = user_meetings(request.user)
    now = timezone.now()
    upcoming = meetings.exclude(status=Meeting.Status.CLOSED).order_by("starts_at")
    past = meetings.filter(status=Meeting.Status.CLOSED).order_by("-starts_at")[:20]
    return render(request, "frontend/home.html", {
        "memberships": memberships, "upcoming": upcoming, "past": past, "now": now,
    })


@login_required
def meeting_tablet(request, meeting_id: int):
    try:
        meeting = policy.meeting_for(request.user, meeting_id)
    except NotFound:
        raise Http404 from None
    return render(request, "frontend/meeting.html", {"meeting": meeting})
