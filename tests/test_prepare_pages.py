"""The secretary prepares a meeting through pages (not the admin); bad input gets a clear error."""
import pytest
from django.test import Client

from sessions.models import AgendaItem, Event, Meeting, MeetingGuest
from tests.factories import make_meeting, make_user

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def draft(personas):
    return make_meeting(personas.committee, personas.secretary, chair=personas.chair, items=2, publish=False)


def test_the_secretary_creates_a_meeting(personas):
    c = client_for(personas.secretary)
    assert c.get("/prepare/").status_code == 200
    r = c.post(f"/prepare/committees/{personas.committee.pk}/new", {
        "title": "Họp chi ủy tháng 1", "place": "Phòng họp A", "starts_at": "2027-01-05T08:00",
        "chair": personas.chair.pk})
    meeting = Meeting.objects.get(title="Họp chi ủy tháng 1")
    assert r.status_code == 302 and r["Location"] == f"/prepare/meetings/{meeting.pk}/"
    assert meeting.secretary == personas.secretary and meeting.chair == personas.chair
    assert meeting.status == Meeting.Status.DRAFT


@pytest.mark.parametrize("data, message", [
    ({"title": "", "starts_at": "2027-01-05T08:00"}, "Tiêu đề"),
    ({"title": "Họp", "starts_at": "ngày mai"}, "Bắt đầu"),
    ({"title": "Họp", "starts_at": "2027-01-05T08:00", "ends_at": "2027-01-05T07:00"}, "Giờ kết thúc phải sau giờ bắt đầu"),
    ({"title": "Họp", "starts_at": "2027-01-05T08:00", "chair": "999999"}, "Chủ trì"),
])
def test_bad_meeting_input_is_refused_with_a_clear_message(personas, data, message):
    r = client_for(personas.secretary).post(f"/prepare/committees/{personas.committee.pk}/new", data)
    assert r.status_code == 400 and message in r.content.decode()
    assert not Meeting.objects.filter(title="Họp").exists()


def test_members_and_outsiders_cannot_prepare(personas, draft):
    assert client_for(personas.member).get(f"/prepare/meetings/{draft.pk}/").status_code == 404
    assert client_for(personas.member).post(f"/prepare/committees/{personas.committee.pk}/new", {}).status_code == 403
    assert client_for(personas.outsider).get(f"/prepare/meetings/{draft.pk}/").status_code == 404
    assert client_for(personas.outsider).post(f"/prepare/meetings/{draft.pk}/publish").status_code == 404
    assert Meeting.objects.get(pk=draft.pk).status == Meeting.Status.DRAFT


def test_the_secretary_builds_the_agenda_nests_reorders_and_publishes(personas, draft):
    c = client_for(personas.secretary)
    first, second = AgendaItem.objects.filter(meeting=draft).order_by("position")
    r = c.post(f"/prepare/meetings/{draft.pk}/items/add", {
        "title": "Báo cáo tài chính", "parent": first.pk, "presenter": personas.members[1].pk,
        "planned_minutes": "15", "confidential": "on"})
    assert r.status_code == 302
    child = AgendaItem.objects.get(title="Báo cáo tài chính")
    assert child.parent == first and child.presenter == personas.members[1] and child.confidential
    assert c.post(f"/prepare/meetings/{draft.pk}/items/{second.pk}/move", {"delta": "-1"}).status_code == 302
    order = [i.pk for i in AgendaItem.objects.filter(meeting=draft, parent=None).order_by("position")]
    assert order == [second.pk, first.pk]
    r = c.post(f"/prepare/meetings/{draft.pk}/items/{child.pk}/edit", {
        "title": "Báo cáo tài chính năm", "parent": first.pk, "planned_minutes": "20"})
    assert r.status_code == 302
    child.refresh_from_db()
    assert child.title == "Báo cáo tài chính năm" and child.planned_minutes == 20 and not child.confidential
    guest = make_user("khach", "Khách Mời")
    assert c.post(f"/prepare/meetings/{draft.pk}/guests", {"guests": [guest.pk]}).status_code == 302
    assert MeetingGuest.objects.filter(meeting=draft, user=guest).exists()
    assert c.post(f"/prepare/meetings/{draft.pk}/publish").status_code == 302
    assert Meeting.objects.get(pk=draft.pk).status == Meeting.Status.PUBLISHED
    page = c.get(f"/prepare/meetings/{draft.pk}/").content.decode()
    assert "2.1. Báo cáo tài chính năm" in page  # nested under the item now second


def test_agenda_edits_after_publishing_are_pushed_as_a_new_version(personas):
    c = client_for(personas.secretary)
    meeting = personas.meeting
    before = meeting.agenda_version
    c.post(f"/prepare/meetings/{meeting.pk}/items/add", {"title": "Việc phát sinh"})
    event = Event.objects.filter(meeting=meeting, type="agenda.published").last()
    assert event.data["version"] == before + 1
    assert any(row["title"] == "Việc phát sinh" for row in event.data["patch"]["agenda"])


@pytest.mark.parametrize("url, data, message", [
    ("items/add", {"title": ""}, "Nội dung"),
    ("items/add", {"title": "X", "planned_minutes": "-5"}, "Thời lượng"),
    ("items/add", {"title": "X", "parent": "999999"}, "Thuộc mục"),
    ("items/add", {"title": "X", "presenter": "999999"}, "Người trình bày"),
    ("guests", {"guests": "999999"}, "Không tìm thấy người được chọn"),
    ("guests", {"guests": "abc"}, "Không tìm thấy người được chọn"),
    ("guests", {}, "Chọn ít nhất một người"),
    ("edit", {"title": "X", "starts_at": "sai"}, "Bắt đầu"),
])
def test_bad_preparation_input_is_refused_with_a_clear_message(personas, draft, url, data, message):
    r = client_for(personas.secretary).post(f"/prepare/meetings/{draft.pk}/{url}", data)
    assert r.status_code == 400, r.content.decode()[:300]
    assert message in r.content.decode()


def test_bad_item_operations_are_refused(personas, draft):
    c = client_for(personas.secretary)
    item = AgendaItem.objects.filter(meeting=draft).first()
    r = c.post(f"/prepare/meetings/{draft.pk}/items/{item.pk}/move", {"delta": "5"})
    assert r.status_code == 400 and "lên hoặc xuống" in r.content.decode()
    other = make_meeting(personas.committee, personas.secretary, items=1, publish=False)
    foreign = AgendaItem.objects.get(meeting=other)
    assert c.post(f"/prepare/meetings/{draft.pk}/items/{foreign.pk}/delete").status_code == 404
    assert AgendaItem.objects.filter(pk=foreign.pk).exists()


def test_publishing_an_empty_agenda_or_twice_is_refused(personas):
    c = client_for(personas.secretary)
    empty = make_meeting(personas.committee, personas.secretary, items=0, publish=False)
    r = c.post(f"/prepare/meetings/{empty.pk}/publish")
    assert r.status_code == 400 and "Chương trình họp còn trống" in r.content.decode()
    r = c.post(f"/prepare/meetings/{personas.meeting.pk}/publish")
    assert r.status_code == 409 and "đã được công bố" in r.content.decode()


def test_the_documents_page_links_back_to_preparation(personas):
    r = client_for(personas.secretary).get(f"/meetings/{personas.meeting.pk}/documents/")
    assert r.status_code == 200 and f"/prepare/meetings/{personas.meeting.pk}/" in r.content.decode()


def test_guests_are_ticked_in_a_list_of_people_outside_the_committee(personas, draft):
    c = client_for(personas.secretary)
    guest = make_user("khach", "Phạm Thị Khách")
    page = c.get(f"/prepare/meetings/{draft.pk}/").content.decode()
    assert f'name="guests" value="{guest.pk}"' in page and "Phạm Thị Khách" in page
    assert "Chi bộ Khu phố 2" in page  # the outsider's body tells namesakes apart
    for member in personas.voters:
        assert f'name="guests" value="{member.pk}"' not in page
    assert 'name="username"' not in page
    r = c.post(f"/prepare/meetings/{draft.pk}/guests", {"guests": [guest.pk, personas.outsider.pk]})
    assert r.status_code == 302
    assert set(MeetingGuest.objects.filter(meeting=draft).values_list("user_id", flat=True)) == {
        guest.pk, personas.outsider.pk}
    page = c.get(f"/prepare/meetings/{draft.pk}/").content.decode()
    assert f'name="guests" value="{guest.pk}"' not in page  # invited already: no longer offered


def test_inviting_a_member_as_a_guest_is_refused_and_invites_nobody(personas, draft):
    guest = make_user("khach", "Phạm Thị Khách")
    r = client_for(personas.secretary).post(f"/prepare/meetings/{draft.pk}/guests",
                                            {"guests": [guest.pk, personas.members[1].pk]})
    assert r.status_code == 400 and "đã là thành viên" in r.content.decode()
    assert not MeetingGuest.objects.filter(meeting=draft).exists()


def test_the_committee_chair_is_preselected_and_only_voting_members_may_chair(personas):
    page = client_for(personas.secretary).get(f"/prepare/committees/{personas.committee.pk}/new").content.decode()
    chair_select = page[page.index('name="chair"'):page.index("</select>", page.index('name="chair"'))]
    assert f'<option value="{personas.chair.pk}" selected>' in chair_select
    assert f'value="{personas.observer.pk}"' not in chair_select  # not a voting member
    secretary_select = page[page.index('name="secretary"'):page.index("</select>", page.index('name="secretary"'))]
    assert f'<option value="{personas.secretary.pk}" selected>' in secretary_select
