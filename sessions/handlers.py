"""WebSocket message handlers for running a meeting: parse → policy (by the consumer) → service."""
from django.utils.translation import gettext as _

from sessions import services
from sessions.errors import Invalid
from sessions.models import Attendance
from sessions.policy import Action
from sessions.protocol import Field, handler


@handler("meeting.open", action=Action.RUN)
def open_meeting(*, user, meeting, content):
    services.meeting_open(actor=user, meeting=meeting)


@handler("meeting.close", action=Action.RUN)
def close_meeting(*, user, meeting, content):
    services.meeting_close(actor=user, meeting=meeting)


@handler("agenda.current", action=Action.RUN,
         fields={"item_id": Field(int, required=False), "step": Field(int, required=False, choices=(1, -1))})
def set_current_item(*, user, meeting, content):
    # Exactly one of the two: "go to this item" or "one step forward/back".
    if (content["item_id"] is None) == (content["step"] is None):
        raise Invalid(_("Gửi đúng một trong hai trường: item_id hoặc step."), field="item_id")
    services.agenda_set_current(actor=user, meeting=meeting, item_id=content["item_id"], step=content["step"])


@handler("attendance.check_in", action=Action.CHECK_IN, fields={"remote": Field(bool, required=False)})
def check_in(*, user, meeting, content):
    a = services.attendance_check_in(actor=user, meeting=meeting, remote=bool(content["remote"]))
    return {"status": a.status}


@handler("attendance.set", action=Action.RECORD_ATTENDANCE, fields={
    "user_id": Field(int),
    "status": Field(str, choices=tuple(Attendance.Status.values)),
    "reason": Field(str, required=False, max_length=300),
})
def set_attendance(*, user, meeting, content):
    a = services.attendance_set(actor=user, meeting=meeting, user_id=content["user_id"],
                                status=content["status"], reason=content["reason"] or "")
    return {"user_id": a.user_id, "status": a.status}


@handler("speaker.request", action=Action.SPEAK)
def request_to_speak(*, user, meeting, content):
    r = services.speaker_request(actor=user, meeting=meeting)
    return {"request_id": r.pk}


@handler("speaker.withdraw", action=Action.SPEAK)
def withdraw(*, user, meeting, content):
    services.speaker_withdraw(actor=user, meeting=meeting)


@handler("speaker.grant", action=Action.RUN, fields={"request_id": Field(int, required=False)})
def grant(*, user, meeting, content):
    r = services.speaker_grant(actor=user, meeting=meeting, request_id=content["request_id"])
    return {"request_id": r.pk if r else None}


@handler("speaker.finish", action=Action.RUN)
def finish(*, user, meeting, content):
    services.speaker_finish(actor=user, meeting=meeting)


@handler("speaker.clear", action=Action.RUN)
def clear(*, user, meeting, content):
    services.speaker_clear(actor=user, meeting=meeting)
