"""Consultation pages: who sees and answers what, and a refused answer keeps what was typed."""
import pytest
from django.test import Client

from consultations.models import Respondent
from tests.consultation_helpers import make_consultation

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_member_answers_from_the_home_page_and_a_refusal_keeps_the_text(personas):
    c = make_consultation(personas)
    member = _client(personas.member)
    home = member.get("/").content.decode()
    assert f"/consultations/{c.pk}/" in home and f"/committees/{personas.committee.pk}/consultations/" in home
    q1, q2 = c.questions.order_by("position")
    refused = member.post(f"/consultations/{c.pk}/answer", {f"q{q1.pk}": "other", f"q{q2.pk}": "o1",
                                                             "comment": "Ý kiến dài đã gõ"})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Ghi nội dung ý kiến khác" in page and "Ý kiến dài đã gõ" in page
    assert not Respondent.objects.filter(consultation=c).exists()
    ok = member.post(f"/consultations/{c.pk}/answer", {f"q{q1.pk}": "agree", f"q{q2.pk}": "o1"})
    assert ok.status_code == 302 and Respondent.objects.filter(consultation=c, user=personas.member).exists()
    assert f"/consultations/{c.pk}/" not in member.get("/").content.decode()  # answered: no longer waiting


def test_turnout_is_for_the_secretary_and_chair_and_drafts_are_theirs_alone(personas):
    c = make_consultation(personas)
    draft = make_consultation(personas, send=False)
    assert 'id="turnout"' in _client(personas.chair).get(f"/consultations/{c.pk}/").content.decode()
    member = _client(personas.member)
    assert 'id="turnout"' not in member.get(f"/consultations/{c.pk}/").content.decode()
    assert member.get(f"/consultations/{draft.pk}/").status_code == 404
    assert _client(personas.outsider).get(f"/consultations/{c.pk}/").status_code == 404
    not_consulted = make_consultation(personas, consulted=[personas.chair.pk])
    q1, q2 = not_consulted.questions.order_by("position")
    answer = member.post(f"/consultations/{not_consulted.pk}/answer", {f"q{q1.pk}": "agree", f"q{q2.pk}": "o0"})
    assert answer.status_code == 403


def test_a_draft_is_corrected_before_sending_and_not_after(personas):
    from datetime import timedelta

    from django.utils import timezone

    from audit.models import AuditEntry
    from consultations.models import Consultation

    c = make_consultation(personas, send=False)
    secretary = _client(personas.secretary)
    form = secretary.get(f"/consultations/{c.pk}/edit").content.decode()
    assert 'value="Dự thảo Nghị quyết về chuyển đổi số"' in form and "Lưu (chưa gửi)" in form
    assert f'value="{timezone.localtime(c.deadline):%Y-%m-%dT%H:%M}"' in form
    everyone = sorted(c.consulted)
    fewer = [u for u in everyone if u != personas.members[-1].pk]
    later = timezone.localtime(timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    # A deadline in the past is refused with its message; what was typed stays, nothing changes.
    past = secretary.post(f"/consultations/{c.pk}/edit", {"subject": "Sửa lại", "deadline": "2020-01-01T08:00",
                                                          "consulted": fewer})
    assert past.status_code == 400
    assert "Hạn trả lời phải ở tương lai." in past.content.decode() and 'value="Sửa lại"' in past.content.decode()
    assert Consultation.objects.get(pk=c.pk).subject == "Dự thảo Nghị quyết về chuyển đổi số"
    ok = secretary.post(f"/consultations/{c.pk}/edit", {
        "subject": "Dự thảo Nghị quyết về chuyển đổi số (bản sửa)", "explanation": "Thuyết minh mới.",
        "deadline": later, "secret": "1", "consulted": fewer})
    assert ok.status_code == 302
    c.refresh_from_db()
    assert c.subject.endswith("(bản sửa)") and c.explanation == "Thuyết minh mới." and c.secret
    assert c.consulted == fewer and f"{timezone.localtime(c.deadline):%Y-%m-%dT%H:%M}" == later
    entry = AuditEntry.objects.get(action="consultation.updated")
    assert set(entry.data) == {"subject", "explanation", "deadline", "secret", "consulted"}
    # A member of the committee cannot; once sent, nobody can.
    assert _client(personas.member).post(f"/consultations/{c.pk}/edit", {"subject": "x"}).status_code == 404
    assert secretary.post(f"/consultations/{c.pk}/send").status_code == 302
    refused = secretary.post(f"/consultations/{c.pk}/edit", {"subject": "Muộn", "deadline": later, "consulted": fewer})
    assert refused.status_code == 409 and Consultation.objects.get(pk=c.pk).subject.endswith("(bản sửa)")
    assert f"/consultations/{c.pk}/edit" not in secretary.get(f"/consultations/{c.pk}/").content.decode()
