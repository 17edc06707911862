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
