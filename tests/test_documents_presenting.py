"""Follow the presenter through real sockets: the leader's page reaches every following tablet."""
import time

import pytest
from asgiref.sync import sync_to_async

from documents import services
from sessions import agenda
from sessions.snapshot import build_snapshot, shared_part
from tests.conftest import session_cookie
from tests.documents_helpers import make_pdf
from tests.wsclient import MeetingSocket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def doc(personas, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    item = personas.meeting.agenda_items.order_by("position").first()
    agenda.agenda_item_update(actor=personas.secretary, item=item, presenter=personas.members[1])
    return services.document_upload(actor=personas.secretary, meeting=personas.meeting, data=make_pdf(5),
                                    original_name="to-trinh.pdf", agenda_item_id=item.pk)


@pytest.fixture
def cookies(personas):
    return {name: session_cookie(getattr(personas, name)) for name in ("chair", "member", "secretary")} | {
        "presenter": session_cookie(personas.members[1]), "member3": session_cookie(personas.members[2])}


async def test_the_chair_leads_page_3_and_a_members_tablet_follows(daphne, personas, doc, cookies):
    member = await MeetingSocket.connect(daphne, cookies["member"], personas.meeting.pk)
    chair = await MeetingSocket.connect(daphne, cookies["chair"], personas.meeting.pk)
    assert member.state["presenting"] is None
    assert member.state["documents"][str(doc.pk)]["version"] == 1
    started = time.monotonic()
    reply = await chair.ok("document.lead", {"document_id": doc.pk, "page": 3})
    assert reply == {"document_id": doc.pk, "version": 1, "page": 3}
    event = await member.wait_event("document.presenting", timeout=5)
    assert time.monotonic() - started < 1.0  # "within a fraction of a second"
    assert event["data"]["page"] == 3
    assert member.state["presenting"] == {"document_id": doc.pk, "version": 1, "page": 3,
                                          "by": personas.chair.pk, "by_name": "Nguyễn Văn Chủ"}
    # A late joiner gets the page from the snapshot.
    late = await MeetingSocket.connect(daphne, cookies["member3"], personas.meeting.pk)
    assert late.state["presenting"]["page"] == 3
    await chair.ok("document.stop_leading")
    await member.wait_event("document.presenting")
    assert member.state["presenting"] is None
    for s in (member, chair, late):
        await s.close()


async def test_the_items_presenter_may_lead_but_an_ordinary_member_may_not(daphne, personas, doc, cookies):
    presenter = await MeetingSocket.connect(daphne, cookies["presenter"], personas.meeting.pk)
    member = await MeetingSocket.connect(daphne, cookies["member"], personas.meeting.pk)
    refused = await member.request("document.lead", {"document_id": doc.pk, "page": 1})
    assert refused["type"] == "error" and refused["content"]["code"] == "forbidden"
    assert "người trình bày" in refused["content"]["message"]
    await presenter.ok("document.lead", {"document_id": doc.pk, "page": 2})
    await member.wait_event("document.presenting")
    assert member.state["presenting"]["by"] == personas.members[1].pk
    stop = await member.request("document.stop_leading")
    assert stop["type"] == "error" and stop["content"]["code"] == "forbidden"
    await presenter.close()
    await member.close()


async def test_a_page_outside_the_document_is_a_clear_error(daphne, personas, doc, cookies):
    chair = await MeetingSocket.connect(daphne, cookies["chair"], personas.meeting.pk)
    for page in (0, 6):
        reply = await chair.request("document.lead", {"document_id": doc.pk, "page": page})
        assert reply["type"] == "error" and reply["content"]["code"] == "invalid" and reply["content"]["field"] == "page"
    reply = await chair.request("document.lead", {"document_id": 987654, "page": 1})
    assert reply["content"]["code"] == "not_found"
    reply = await chair.request("document.lead", {"document_id": "x", "page": 1})
    assert reply["content"]["code"] == "bad_field"
    await chair.close()


async def test_a_new_version_reaches_open_tablets(daphne, personas, doc, cookies):
    member = await MeetingSocket.connect(daphne, cookies["member"], personas.meeting.pk)
    await sync_to_async(services.document_add_version)(actor=personas.secretary, document=doc, data=make_pdf(2))
    event = await member.wait_event("document.version_added")
    assert event["data"]["document_id"] == doc.pk
    assert member.state["documents"][str(doc.pk)]["version"] == 2
    await member.close()


def test_stale_state_plus_document_events_equals_a_fresh_snapshot(personas, doc):
    from sessions.events import apply_event
    from sessions.models import Event

    stale = build_snapshot(personas.meeting.pk, personas.member)
    services.presenting_lead(actor=personas.chair, meeting=personas.meeting, document_id=doc.pk, page=4)
    services.document_add_version(actor=personas.secretary, document=doc, data=make_pdf(6))
    services.document_update(actor=personas.secretary, document=doc, confidential=True)
    second = services.document_upload(actor=personas.secretary, meeting=personas.meeting, data=make_pdf(1),
                                      original_name="phu-luc.pdf")
    services.document_delete(actor=personas.secretary, document=doc)
    for e in Event.objects.filter(meeting=personas.meeting, seq__gt=stale["seq"]).order_by("seq"):
        apply_event(stale, {"seq": e.seq, "data": e.data})
    fresh = build_snapshot(personas.meeting.pk, personas.member)
    assert shared_part(stale) == shared_part(fresh)
    assert list(fresh["documents"]) == [str(second.pk)] and fresh["presenting"] is None




async def test_closing_the_meeting_ends_the_presentation(daphne, personas, doc, cookies):
    chair = await MeetingSocket.connect(daphne, cookies["chair"], personas.meeting.pk)
    member = await MeetingSocket.connect(daphne, cookies["member"], personas.meeting.pk)
    await chair.ok("meeting.open")
    await chair.ok("document.lead", {"document_id": doc.pk, "page": 2})
    await member.wait_event("document.presenting")
    assert member.state["presenting"]["page"] == 2
    await chair.ok("meeting.close")
    closed = await member.wait_event("meeting.closed")
    assert closed["data"]["patch"]["presenting"] is None
    assert member.state["presenting"] is None
    fresh = await sync_to_async(build_snapshot)(personas.meeting.pk, personas.member)
    assert shared_part(member.state) == shared_part(fresh)
