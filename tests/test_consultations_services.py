"""Written consultations: results with the poll rules, changes, deadlines, who may answer, secrecy."""
import pytest
from django.core.management import call_command
from django.db import connection

from audit.models import AuditEntry
from consultations import results, secret, selectors, services
from consultations.models import Answer, Consultation, EncryptedAnswer, Respondent
from minutes import assemble as asm
from minutes import selectors as minutes_selectors
from sessions.errors import Invalid
from tests.consultation_helpers import answer, make_consultation, pass_deadline
from voting import rules

pytestmark = pytest.mark.django_db


def test_the_result_is_the_poll_rule_on_all_members_consulted(personas):
    c = make_consultation(personas)
    assert c.consulted == sorted(u.pk for u in personas.voters)  # default: every active voting member
    m1, m2, m3 = personas.members
    answer(c, personas.chair, "agree", "o0")
    answer(c, personas.secretary, "agree", "o1")
    answer(c, m1, "disagree", "o1")
    answer(c, m2, "other", "o1", texts=["Cần bổ sung kinh phí", ""])
    c = services.consultation_close(actor=personas.chair, consultation=c)
    first, second = c.results
    # 2 agree of 5 consulted: 2 of 4 answers is not "more than half of all members consulted".
    expected = rules.motion_result(yes=2, no=1, abstain=1, eligible=5, convened=5, base=rules.ALL_MEMBERS,
                                   threshold=rules.MORE_THAN_HALF)
    assert first["passed"] is expected.passed is False
    assert [o["votes"] for o in first["options"]] == [2, 1, 1] and first["not_answered"] == 1
    assert first["base_count"] == 5 and first["base_label"] == results.BASE_LABEL
    assert first["outcome_text"] == "Không đạt: 2/5 đồng chí đồng ý (40%)."
    # 3 of 5 chose "Quý II": more than half of those consulted.
    assert second["passed"] and [o["chosen"] for o in second["options"]] == [False, True, False]
    assert "Quý II (3/5" in second["outcome_text"]
    assert c.respondents_count == 4


@pytest.mark.smoke
def test_choice_ties_and_the_consulted_base_are_reported_not_broken():
    q = {"text": "Phương án", "kind": "choice", "options": ["A", "B", "C"]}
    tie = results.question_result(q, {"o0": 2, "o1": 2, "o2": 0}, consulted=4, respondents=4,
                                  threshold=rules.PLURALITY)
    assert tie["tie"] and not tie["passed"] and "cần lấy ý kiến lại" in tie["outcome_text"]
    short = results.question_result(q, {"o0": 2, "o1": 1, "o2": 0}, consulted=5, respondents=3,
                                    threshold=rules.MORE_THAN_HALF)
    assert not short["passed"] and short["not_answered"] == 2  # 2/5 is not more than half
    agree = {"text": "Đồng ý?", "kind": "agree"}
    r = results.question_result(agree, {"agree": 3, "disagree": 0, "other": 0}, consulted=5, respondents=3,
                                threshold=rules.TWO_THIRDS)
    assert not r["passed"]  # 3/5 < 2/3 of everyone consulted
    with pytest.raises(ValueError):
        results.consultation_results([agree], {"0:agree": 2}, consulted=5, respondents=3, threshold="more_than_half")
    text = asm.consultations_text([{"subject": "Dự thảo", "secret": True, "consulted": 5, "respondents": 3,
                                    "opened": "01/03/2025", "closed": "05/03/2025", "questions": [r]}])
    assert text.startswith("1. Dự thảo (lấy ý kiến phiếu kín từ ngày 01/03/2025 đến ngày 05/03/2025; 3/5")
    assert "Đồng ý: 3; Không đồng ý: 0; Ý kiến khác: 0; chưa trả lời: 2." in text


def test_a_named_answer_can_change_until_the_deadline_and_not_after(personas):
    c = make_consultation(personas)
    member = personas.member
    assert answer(c, member, "disagree", "o0") == {"answered": True, "changed": False}
    assert answer(c, member, "agree", "o2", comment="Nhất trí") == {"answered": True, "changed": True}
    assert dict(Answer.objects.filter(user=member).values_list("question__position", "choice")) == {0: "agree", 1: "o2"}
    assert Respondent.objects.filter(consultation=c).count() == 1
    changed = AuditEntry.objects.get(action="consultation.answer_changed")
    assert changed.data == {"answers": ["agree", "o2"], "before": ["disagree", "o0"]}
    with pytest.raises(Invalid):  # "other" needs its text in a named consultation
        answer(c, member, "other", "o2")
    pass_deadline(c)
    with pytest.raises(services.ConsultationClosed):
        answer(c, member, "disagree", "o0")
    assert Answer.objects.get(user=member, question__position=0).choice == "agree"


def test_the_deadline_closes_it_lazily_once_and_the_command_closes_the_rest(personas):
    a, b = make_consultation(personas), make_consultation(personas, choice_question=False)
    answer(a, personas.member, "agree", "o0")
    pass_deadline(a), pass_deadline(b)
    closed = services.close_if_due(selectors.consultation_for(personas.member, a.pk))
    assert closed.status == Consultation.Status.CLOSED and closed.closed_by is None
    assert services.close_if_due(closed).closed_at == closed.closed_at  # idempotent
    assert services.consultation_close(actor=personas.chair, consultation=closed).closed_at == closed.closed_at
    call_command("close_due_consultations")
    assert Consultation.objects.get(pk=b.pk).status == Consultation.Status.CLOSED
    assert AuditEntry.objects.filter(action="consultation.closed").count() == 2
    assert {e.data["reason"] for e in AuditEntry.objects.filter(action="consultation.closed")} == {"deadline"}


def test_only_the_people_consulted_may_answer(personas):
    m1, m2, _m3 = personas.members
    c = make_consultation(personas, consulted=[m1.pk, personas.chair.pk])
    with pytest.raises(services.NotConsulted):
        answer(c, m2, "agree", "o0")
    with pytest.raises(services.NotConsulted):
        answer(c, personas.outsider, "agree", "o0")
    with pytest.raises(Invalid):  # an observer (non-voting) cannot be put on the list
        make_consultation(personas, consulted=[personas.observer.pk])
    answer(c, m1, "agree", "o0")
    assert selectors.turnout(c)["not_answered_names"] == ["Nguyễn Văn Chủ"]


def _table_text() -> str:
    """Every row of every consultations table (and the audit entries), as PostgreSQL prints them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'consultations_%%'")
        tables = [t for (t,) in cursor.fetchall()]
        text = []
        for t in tables + ["audit_auditentry"]:
            cursor.execute(f"SELECT t::text FROM {t} t")
            text += [row for (row,) in cursor.fetchall()]
    return "\n".join(text)


def test_a_secret_consultation_keeps_no_choice_and_counts_only_the_sum(personas):
    if connection.vendor != "postgresql":
        pytest.skip("reads the tables as PostgreSQL prints them")
    c = make_consultation(personas, secret=True)
    m1, m2, m3 = personas.members
    answer(c, m1, "disagree", "o2", token="tok-1")
    answer(c, m2, "other", "o2")
    answer(c, m3, "disagree", "o2")
    dump = _table_text()
    # The question rows hold the option labels, so look for what an answer would write.
    for needle in ("disagree", '"o2"', "0:disagree", "1:o2", "other\""):
        assert needle not in dump, needle
    assert Answer.objects.count() == 0 and EncryptedAnswer.objects.count() == 3
    assert not any(r for r in Respondent.objects.values_list("comment", "answered_at") if any(r))
    # The same form sent again is the same answer; anything else is refused (never changed).
    assert answer(c, m1, "disagree", "o2", token="tok-1") == {"answered": True, "repeat": True}
    with pytest.raises(services.AlreadyAnswered):
        answer(c, m1, "agree", "o0", token="tok-2")
    with pytest.raises(Invalid):  # no free text in a secret consultation
        answer(c, personas.chair, "other", "o0", texts=["ý kiến", ""])
    c = services.consultation_close(actor=personas.chair, consultation=c)
    assert [o["votes"] for o in c.results[0]["options"]] == [0, 2, 1]
    assert [o["votes"] for o in c.results[1]["options"]] == [0, 0, 3]
    assert c.wrapped_key is None and secret.verify(c) == []


def test_minutes_report_consultations_closed_since_the_previous_meeting(personas):
    from datetime import timedelta

    from django.utils import timezone

    from sessions.models import Meeting
    from tests.factories import make_meeting

    previous = make_meeting(personas.committee, personas.secretary, chair=personas.chair)
    Meeting.objects.filter(pk=previous.pk).update(starts_at=timezone.now() - timedelta(days=10))
    old = make_consultation(personas, choice_question=False)
    services.consultation_close(actor=personas.chair, consultation=old)
    Consultation.objects.filter(pk=old.pk).update(closed_at=timezone.now() - timedelta(days=20), subject="Việc cũ")
    new = make_consultation(personas, choice_question=False)
    answer(new, personas.member, "agree")
    services.consultation_close(actor=personas.chair, consultation=new)
    sections = {s.key: s for s in minutes_selectors.record(personas.meeting).sections}
    text = sections["consultations"].text
    assert sections["consultations"].title == "Kết quả lấy ý kiến bằng văn bản"
    assert "Dự thảo Nghị quyết về chuyển đổi số" in text and "Việc cũ" not in text
    assert "1/5 đồng chí được lấy ý kiến đã trả lời" in text and "Đồng ý: 1" in text
