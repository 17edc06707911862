"""WebSocket message handlers for polls: parse → policy (consumer + here) → service."""
import functools

from django.utils.translation import gettext as _

from sessions import policy
from sessions.errors import Forbidden, Invalid, NotFound
from sessions.models import Committee
from sessions.policy import Action
from sessions.protocol import Field, handler
from voting import ballot_box, definition, selectors, services
from voting.models import Poll

_ID = {"poll_id": Field(int)}


# What a poll is made of: the same schema for creating it and for editing a draft.
_DEFINITION = {
    "agenda_item_id": Field(int),
    "title": Field(str, max_length=500),
    "kind": Field(str, required=False, choices=tuple(Poll.Kind.values)),
    "candidates": Field(list, required=False, max_length=50),
    "seats": Field(int, required=False),
    "secret": Field(bool, required=False),
    "analog": Field(bool, required=False),
    "base": Field(str, required=False, choices=tuple(Committee.MajorityBase.values)),
    "threshold": Field(str, required=False, choices=tuple(Committee.Threshold.values)),
}


def _check_candidates(candidates):
    if candidates is not None and not all(isinstance(c, str) and len(c) <= 200 for c in candidates):
        raise Invalid(_("Danh sách ứng cử viên không hợp lệ."), field="candidates")
    return candidates


@handler("poll.create", action=Action.RUN, fields=_DEFINITION)
def create(*, user, meeting, content):
    poll = services.poll_create(
        actor=user, meeting=meeting, agenda_item_id=content["agenda_item_id"], title=content["title"],
        kind=content["kind"] or Poll.Kind.MOTION, candidates=_check_candidates(content["candidates"]) or [],
        seats=content["seats"], secret=content["secret"], analog=bool(content["analog"]), base=content["base"],
        threshold=content["threshold"],
    )
    return {"poll_id": poll.pk}


# Every definition field is optional here: what is not sent keeps its value.
@handler("poll.update", action=Action.RUN, fields={
    **_ID, **{name: Field(f.kind, required=False, max_length=f.max_length, choices=f.choices)
              for name, f in _DEFINITION.items()},
})
def update(*, user, meeting, content):
    _check_candidates(content["candidates"])
    fields = {k: v for k, v in content.items() if k != "poll_id" and v is not None}
    poll = services.poll_update(actor=user, meeting=meeting, poll_id=content["poll_id"], **fields)
    return {"poll_id": poll.pk}


@handler("poll.open", action=Action.RUN, fields={**_ID, "override_quorum": Field(bool, required=False)})
def open_poll(*, user, meeting, content):
    poll = services.poll_open(actor=user, meeting=meeting, poll_id=content["poll_id"],
                              override_quorum=bool(content["override_quorum"]))
    return {"poll_id": poll.pk, "eligible": len(poll.eligible), "quorum_overridden": poll.quorum_overridden}


def _reply(result: dict) -> dict:
    # The tablet's own entry of `my_votes`, without another query. A secret poll's choice is not
    # echoed: the tablet keeps what it sent in memory.
    mine = {"voted": True, "recorded_by": None}
    if not result.pop("secret"):
        mine["choice"] = result.pop("choice")
    result.pop("choice", None)
    return {**result, "my_votes": {str(result["poll_id"]): mine}}


# VIEW, not VOTE: who may vote in a poll is its frozen list, so observers and absent members get
# the precise "not_eligible" answer from the service rather than a generic "forbidden".
# In a storm, first ballots that arrive together are written together (voting/ballot_box.py).
@handler("poll.vote", action=Action.VIEW, batch=functools.partial(ballot_box.cast, reply=_reply), fields={
    **_ID,
    "choice": Field(str, required=False, max_length=20),
    "choices": Field(list, required=False, max_length=50),
    "token": Field(str, required=False, max_length=100),
})
def vote(*, user, meeting, content):
    choice = definition.sent_choice(content)
    if choice is None:
        raise Invalid(_("Cần chọn một phương án."), field="choice")
    return _reply(services.poll_vote(actor=user, meeting=meeting, poll_id=content["poll_id"], choice=choice,
                                     token=content["token"]))


@handler("poll.close", action=Action.RUN, fields=_ID)
def close(*, user, meeting, content):
    poll = services.poll_close(actor=user, meeting=meeting, poll_id=content["poll_id"])
    # The chair sees the result before deciding to publish it.
    return {"poll_id": poll.pk, "result": selectors.poll_result(poll)}


@handler("poll.publish", action=Action.RUN, fields=_ID)
def publish(*, user, meeting, content):
    poll = services.poll_publish(actor=user, meeting=meeting, poll_id=content["poll_id"])
    return {"poll_id": poll.pk}


@handler("poll.cancel", action=Action.RUN, fields=_ID)
def cancel(*, user, meeting, content):
    poll = services.poll_cancel(actor=user, meeting=meeting, poll_id=content["poll_id"])
    return {"poll_id": poll.pk}


@handler("poll.record_counts", action=Action.RECORD_VOTES, fields={
    **_ID, "counts": Field(dict), "ballots": Field(int, required=False),
})
def record_counts(*, user, meeting, content):
    poll = services.poll_record_counts(actor=user, meeting=meeting, poll_id=content["poll_id"],
                                       counts=content["counts"], ballots=content["ballots"])
    return {"poll_id": poll.pk}


@handler("poll.record_vote", action=Action.RECORD_VOTES, fields={
    **_ID, "user_id": Field(int),
    "choice": Field(str, required=False, max_length=20), "choices": Field(list, required=False, max_length=50),
})
def record_vote(*, user, meeting, content):
    choice = definition.sent_choice(content)
    if choice is None:
        raise Invalid(_("Cần chọn một phương án."), field="choice")
    return services.poll_record_vote(actor=user, meeting=meeting, poll_id=content["poll_id"],
                                     user_id=content["user_id"], choice=choice)


@handler("poll.turnout_detail", action=Action.VIEW, fields=_ID)
def turnout_detail(*, user, meeting, content):
    if not (policy.can(user, Action.RUN, meeting) or policy.can(user, Action.RECORD_VOTES, meeting)):
        raise Forbidden()
    poll = Poll.objects.filter(pk=content["poll_id"], meeting=meeting).first()
    if poll is None:
        raise NotFound()
    return selectors.turnout_detail(poll)
