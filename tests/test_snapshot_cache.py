"""Shared sections are built once per sequence number and process, not once per connecting tablet."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sessions import services as ss
from sessions.snapshot import build_snapshot, shared_part
from tests.test_voting_services import start_meeting

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def _snapshot(meeting_id, user):
    with CaptureQueriesContext(connection) as queries:
        state = build_snapshot(meeting_id, user, shared_cache=True)
    return state, len(queries)


def test_a_second_tablet_at_the_same_seq_reuses_the_shared_sections(personas):
    p = personas
    start_meeting(p)
    first, first_queries = _snapshot(p.meeting.pk, p.member)
    second, second_queries = _snapshot(p.meeting.pk, p.members[1])
    assert shared_part(second) == shared_part(first)
    assert second_queries < first_queries / 2, (first_queries, second_queries)
    # Each still gets their own personal sections.
    assert first["me"]["user_id"] == p.member.pk and second["me"]["user_id"] == p.members[1].pk
    # A change is an event, a new sequence number: the next snapshot is built afresh and shows it.
    ss.speaker_request(actor=p.member, meeting=p.meeting)
    third, _ = _snapshot(p.meeting.pk, p.chair)
    assert third["seq"] == first["seq"] + 1
    assert shared_part(third) == shared_part(build_snapshot(p.meeting.pk, p.chair))
    assert shared_part(third) != shared_part(first)


@pytest.mark.smoke
def test_a_frame_with_pre_encoded_members_is_the_same_json_as_frame():
    import json

    from sessions.protocol import frame, frame_with_members

    shared = {"agenda": [{"title": "Nội dung 1"}], "polls": {}}
    personal = {"seq": 7, "me": {"user_id": 3}, "presence": [1, 2]}
    encoded = json.dumps(shared, ensure_ascii=False, separators=(",", ":"))[1:-1]
    for msg_id in (None, 5, "abc"):
        assert json.loads(frame_with_members("snapshot", encoded, personal, msg_id)) == \
            json.loads(frame("snapshot", {**shared, **personal}, msg_id))
    assert json.loads(frame_with_members("snapshot", "", personal)) == json.loads(frame("snapshot", personal))


def test_personal_sections_ask_nothing_of_a_meeting_without_polls_or_documents_and_follow_when_there_are(personas):
    from tests.test_voting_services import open_poll, vote

    p = personas
    start_meeting(p)
    _snapshot(p.meeting.pk, p.member)                        # the first tablet at this seq builds the caches
    state, queries = _snapshot(p.meeting.pk, p.members[1])
    assert state["my_votes"] == {} and state["poll_turnout"] == {} and state["annotations"] == []
    # Per further tablet: the meeting, its membership and device checks — not polls, votes or annotations.
    assert not [q for q in queries_of(p.meeting.pk, p.members[1]) if "voting_" in q or "documents_annotation" in q]
    assert queries <= 6, queries
    # A poll opens: a new seq, and the personal sections show it at once.
    poll = open_poll(p, secret=True)
    vote(p, p.members[1], poll, "yes", token="t")
    state, _ = _snapshot(p.meeting.pk, p.members[1])
    assert state["my_votes"] == {str(poll.pk): {"voted": True, "recorded_by": None}}
    assert state["poll_turnout"][str(poll.pk)]["voted"] == 1


def queries_of(meeting_id, user) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        build_snapshot(meeting_id, user, shared_cache=True)
    return [q["sql"] for q in queries]
