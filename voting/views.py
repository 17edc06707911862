"""Pages of the vote-counting board (Ban kiểm phiếu): a teller's key, the meeting's board, counting.

Counting is an HTTP form, not a socket action: passphrases must never sit in a tablet's outbox
(sessionStorage) or be resent; they are used in memory for one request and never stored.
Views only parse, authorize (sessions.policy) and call voting.board / voting.services.
"""

from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from meetingroom.pages import page_view
from sessions import policy
from sessions.errors import DomainError, Forbidden, NotFound
from sessions.policy import Action
from sessions.selectors import committee_members, display_name
from voting import board, services
from voting.models import Poll, TellerBoard, TellerKey


def page(view):
    """GET and POST only; other refusals (Invalid, Conflict) are shown on the page itself by the views."""
    return page_view("minutes/error.html", (Forbidden, NotFound))(require_http_methods(["GET", "POST"])(view))


@page
def teller_key(request):
    """Any member may hold a teller key; it is used only if a board names them."""
    context = {"has_key": TellerKey.objects.filter(user=request.user).exists(), "saved": False,
               "min_length": board.MIN_PASSPHRASE}
    status = 200
    if request.method == "POST":
        try:
            board.teller_key_set(actor=request.user, passphrase=request.POST.get("passphrase", ""),
                                 confirm=request.POST.get("confirm", ""))
            context.update(has_key=True, saved=True)
        except DomainError as e:
            context["error"], status = e.message, e.http_status
    return render(request, "voting/teller_key.html", context, status=status)


@page
def board_page(request, meeting_id: int):
    meeting = policy.meeting_for(request.user, meeting_id, Action.VIEW)
    if not policy.can(request.user, Action.SET_TELLERS, meeting):
        raise Forbidden()
    status, error = 200, None
    if request.method == "POST":
        try:
            ids = [int(v) for v in request.POST.getlist("members") if v.isdigit()]
            board.board_set(actor=request.user, meeting=meeting, member_ids=ids,
                            threshold_count=int(request.POST.get("threshold") or 0) if ids else 0)
            return redirect("teller_board", meeting_id=meeting.pk)
        except (DomainError, ValueError) as e:
            error, status = getattr(e, "message", _("Dữ liệu không hợp lệ.")), getattr(e, "http_status", 400)
    current = TellerBoard.objects.filter(meeting=meeting).first()
    chosen = set(current.members.values_list("id", flat=True)) if current else set()
    with_keys = set(TellerKey.objects.values_list("user_id", flat=True))
    members = [{"id": m.user_id, "name": display_name(m.user), "chosen": m.user_id in chosen,
                "has_key": m.user_id in with_keys}
               for m in committee_members(meeting) if m.is_voting_member]
    return render(request, "voting/board.html", {
        "meeting": meeting, "board": current, "members": members, "error": error,
        "threshold": current.threshold if current else 2,
    }, status=status)


@page
def count_page(request, meeting_id: int, poll_id: int):
    meeting = policy.meeting_for(request.user, meeting_id, Action.RUN)
    poll = Poll.objects.filter(meeting=meeting, pk=poll_id).first()
    if poll is None or not poll.teller_threshold:
        raise NotFound()
    status, error = 200, None
    if request.method == "POST" and poll.status == Poll.Status.OPEN:
        passphrases = {t["user_id"]: request.POST.get(f"teller-{t['user_id']}", "") for t in poll.tellers}
        try:
            services.poll_close(actor=request.user, meeting=meeting, poll_id=poll.pk, teller_passphrases=passphrases)
            return redirect("meeting_console", meeting_id=meeting.pk)
        except DomainError as e:
            error, status = e.message, e.http_status
        poll.refresh_from_db()
    names = {m.user_id: display_name(m.user) for m in committee_members(meeting)}
    tellers = [{"user_id": t["user_id"], "name": names.get(t["user_id"], "?")} for t in poll.tellers]
    return render(request, "voting/count.html", {
        "meeting": meeting, "poll": poll, "tellers": tellers, "error": error,
    }, status=status)
