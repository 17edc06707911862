"""Minutes rendered to PDF in the Party layout, signed by secretary then chair, then frozen."""
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from audit.models import AuditEntry
from minutes import render, services as ms, signing
from minutes.models import Minutes
from sessions.errors import Conflict, Invalid
from sessions.models import Event, Meeting
from tests.conftest import scaled
from tests.test_minutes_support import PASS_CHAIR, PASS_SECRETARY, edit_section, hold_meeting, run, sign_both

pytestmark = [pytest.mark.django_db, scaled]


def _pdf_file(tmp_path, data: bytes, name="m.pdf") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def _stamp_font_widths(pdf: bytes) -> list[list[int]]:
    import io

    from pypdf import PdfReader

    out = []
    for field in PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/AcroForm"]["/Fields"]:
        stack = [field.get_object()["/AP"]["/N"].get_object()]
        while stack:
            xobj = stack.pop()
            resources = xobj.get("/Resources")
            resources = resources.get_object() if resources is not None else {}
            for font in (resources.get("/Font") or {}).values():
                cid_font = font.get_object()["/DescendantFonts"][0].get_object()
                out.append([w for part in cid_font["/W"] if isinstance(part, list) for w in part])
            stack += [x.get_object() for x in (resources.get("/XObject") or {}).values()]
    return out


def test_the_signed_minutes_carry_the_record_in_the_party_layout(personas, tmp_path):
    # Scheduled for tomorrow, held today: the minutes carry today's date.
    scheduled = timezone.now() + timedelta(days=1)
    Meeting.objects.filter(pk=personas.meeting.pk).update(starts_at=scheduled)
    personas.meeting.refresh_from_db()
    poll = hold_meeting(personas)
    draft = ms.minutes_open(actor=personas.secretary, meeting=personas.meeting)
    _, update = edit_section(bytes(draft.ydoc), "conclusions", len("Đồng chí chủ trì kết luận:\n"),
                             "Chi bộ thống nhất ban hành Nghị quyết số 12-NQ/CB.")
    ms.minutes_apply_update(actor=personas.secretary, meeting=personas.meeting, update=update)
    minutes = sign_both(personas)

    pdf = (Path(settings.PRIVATE_MEDIA_ROOT) / minutes.pdf_path).read_bytes()
    assert signing.sha256(pdf) == minutes.pdf_sha256
    path = _pdf_file(tmp_path, pdf)
    text = run(["pdftotext", "-layout", path, "-"])
    flat = re.sub(r"\s+", " ", text)
    for expected in ("BIÊN BẢN", "ĐẢNG CỘNG SẢN VIỆT NAM", "CHI BỘ KHU PHỐ 1", "Họp chi bộ định kỳ tháng 12",
                     "Hà Nội, ngày", "Nguyễn Văn Chủ", "Lê Thị Thư", "Trần Văn Thành Viên 3 (Đi công tác tỉnh Lạng Sơn)",
                     "Thông qua nghị quyết lãnh đạo tháng 12", "Tán thành", "Không tán thành",
                     "Chi bộ thống nhất ban hành Nghị quyết số 12-NQ/CB.", "Trần Văn Thành Viên 2",
                     "THƯ KÝ", "T/M CHI BỘ", "BÍ THƯ", "Trang 1/"):
        assert expected in flat, expected
    # The signature block names the body's kind once (36-HD/VPTW), not its full name again.
    assert "T/M CHI BỘ KHU PHỐ" not in flat
    # Attendance adds up: 5 called = 4 present + 1 excused + 0 absent, the chair and secretary present.
    assert ("Tổng số đồng chí được triệu tập: 5; có mặt: 4; vắng có lý do: 1; vắng không có lý do: 0." in flat), flat
    # The date is the day the meeting was held (opened), not the day it was scheduled for.
    held = timezone.localtime(personas.meeting.opened_at).date()
    assert f"ngày {held.day:02d} tháng {held.month:02d} năm {held.year}" in flat
    planned = timezone.localtime(scheduled).date()
    assert f"ngày {planned.day:02d} tháng {planned.month:02d} năm {planned.year}" not in flat
    # The rule applied and the frozen voter list of the poll, and the event log hash.
    assert "Cơ sở tính: tổng số" in flat and "ngưỡng thông qua: quá nửa" in flat
    assert "Tán thành 3 (75%)" in flat and "Không tán thành 1 (25%)" in flat
    assert poll.eligible_hash in text.replace("\n", "").replace(" ", "")
    assert minutes.event_log_sha256 in text.replace("\n", "").replace(" ", "")
    # The audit chain's head at rendering time is printed: it anchors the chain outside the database.
    from audit.models import AuditEntry as Entry

    before_signing = Entry.objects.filter(action="minutes.signed").order_by("id").first()
    assert before_signing.prev_hash in text.replace("\n", "").replace(" ", "")
    events = list(Event.objects.filter(meeting=personas.meeting, seq__lte=minutes.event_log_seq)
                  .order_by("seq").values_list("seq", "type", "data"))
    from minutes.assemble import event_log_hash
    assert event_log_hash(events) == minutes.event_log_sha256

    fonts = run(["pdffonts", path]).splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts

    # The visible stamps use an embedded font whose widths are in PDF units (1/1000 em): with raw
    # 2048-unit widths every letter of "Ký số bởi" would be drawn twice as far apart.
    stamp_widths = _stamp_font_widths(pdf)
    assert len(stamp_widths) == 2 and all(0 < max(w) <= 1000 for w in stamp_widths), stamp_widths

    sig = run(["pdfsig", path])
    assert sig.count("Signature Validation: Signature is Valid.") == 2, sig
    assert sig.count("Signature Type: ETSI.CAdES.detached") == 2
    assert "Signer Certificate Common Name: Lê Thị Thư" in sig and "Common Name: Nguyễn Văn Chủ" in sig

    reports, error = signing.verify(pdf, ms.trust_roots())
    assert error is None
    assert [(r.field, r.signer, r.intact, r.valid, r.trusted) for r in reports] == [
        (render.SECRETARY_FIELD, "Lê Thị Thư", True, True, True),
        (render.CHAIR_FIELD, "Nguyễn Văn Chủ", True, True, True),
    ]
    assert not any(r.modified_after for r in reports)


def test_a_flipped_byte_makes_validation_fail(personas, tmp_path):
    hold_meeting(personas)
    minutes = sign_both(personas)
    pdf = bytearray(ms.read_pdf(minutes))
    # Flip a byte inside the page content covered by both signatures (not in the signature hex).
    pos = pdf.index(b"stream", 2000) + 20
    pdf[pos] ^= 0x20
    reports, error = signing.verify(bytes(pdf), ms.trust_roots())
    assert error is not None or (reports and not all(r.intact for r in reports))
    sig = run(["pdfsig", _pdf_file(tmp_path, bytes(pdf))])
    assert sig.count("Signature Validation: Signature is Valid.") < 2


def test_editing_after_signing_is_refused_and_nothing_changes(personas):
    hold_meeting(personas)
    draft = ms.minutes_open(actor=personas.secretary, meeting=personas.meeting)
    ms.credential_issue(actor=personas.secretary, committee=personas.committee, passphrase=PASS_SECRETARY)
    ms.minutes_sign_as_secretary(actor=personas.secretary, meeting=personas.meeting, passphrase=PASS_SECRETARY, acknowledged=True)
    _, update = edit_section(bytes(draft.ydoc), "closing", 0, "SỬA SAU KHI KÝ ")
    with pytest.raises(Conflict):
        ms.minutes_apply_update(actor=personas.chair, meeting=personas.meeting, update=update)
    assert Minutes.objects.get().ydoc == draft.ydoc


def test_the_chair_cannot_sign_before_the_secretary_nor_twice(personas):
    hold_meeting(personas)
    ms.minutes_open(actor=personas.secretary, meeting=personas.meeting)
    ms.credential_issue(actor=personas.chair, committee=personas.committee, passphrase=PASS_CHAIR)
    with pytest.raises(Conflict):
        ms.minutes_sign_as_chair(actor=personas.chair, meeting=personas.meeting, passphrase=PASS_CHAIR)
    ms.credential_issue(actor=personas.secretary, committee=personas.committee, passphrase=PASS_SECRETARY)
    ms.minutes_sign_as_secretary(actor=personas.secretary, meeting=personas.meeting, passphrase=PASS_SECRETARY, acknowledged=True)
    ms.minutes_sign_as_chair(actor=personas.chair, meeting=personas.meeting, passphrase=PASS_CHAIR)
    with pytest.raises(Conflict):
        ms.minutes_sign_as_chair(actor=personas.chair, meeting=personas.meeting, passphrase=PASS_CHAIR)


def test_a_wrong_passphrase_is_refused_and_the_key_is_never_stored_in_clear(personas):
    hold_meeting(personas)
    ms.minutes_open(actor=personas.secretary, meeting=personas.meeting)
    cred = ms.credential_issue(actor=personas.secretary, committee=personas.committee, passphrase=PASS_SECRETARY)
    assert "ENCRYPTED PRIVATE KEY" in cred.key_pem_encrypted
    with pytest.raises(Invalid):
        ms.minutes_sign_as_secretary(actor=personas.secretary, meeting=personas.meeting, passphrase="sai-mat-khau", acknowledged=True)
    assert Minutes.objects.get().status == Minutes.Status.DRAFT
    with pytest.raises(Invalid):
        ms.credential_issue(actor=personas.chair, committee=personas.committee, passphrase="ngan")


def test_signing_emits_minutes_events_and_is_audited(personas):
    hold_meeting(personas)
    minutes = sign_both(personas)
    events = list(Event.objects.filter(meeting=personas.meeting, type__startswith="minutes.").order_by("seq"))
    assert [e.type for e in events] == ["minutes.signed", "minutes.published"]
    assert events[-1].data["patch"]["minutes"] == {
        "status": "signed", "signed_by_secretary": "Lê Thị Thư", "signed_by_chair": "Nguyễn Văn Chủ",
        "sha256": minutes.pdf_sha256,
    }
    actions = list(AuditEntry.objects.filter(meeting_id=personas.meeting.pk).values_list("action", flat=True))
    assert actions.count("minutes.signed") == 2 and "minutes.published" in actions


def test_a_pkcs12_file_can_be_imported_and_used_to_sign(personas, tmp_path):
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12, load_pem_private_key
    from cryptography import x509

    ca_cert, ca_key = signing.make_ca("Ban Cơ yếu thử nghiệm")
    cert_pem, key_pem, _ = signing.issue_certificate(ca_cert_pem=ca_cert, ca_key_pem=ca_key,
                                                     common_name="Lê Thị Thư", organisation="Thử", passphrase="p12-pass-123")
    key = load_pem_private_key(key_pem.encode(), b"p12-pass-123")
    p12 = pkcs12.serialize_key_and_certificates(b"thu", key, x509.load_pem_x509_certificate(cert_pem.encode()),
                                                [x509.load_pem_x509_certificate(ca_cert.encode())],
                                                BestAvailableEncryption(b"p12-pass-123"))
    with pytest.raises(Invalid):
        ms.credential_import(actor=personas.secretary, data=p12, password="wrong")
    cred = ms.credential_import(actor=personas.secretary, data=p12, password="p12-pass-123")
    assert cred.subject_name == "Lê Thị Thư"
    hold_meeting(personas)
    minutes = ms.minutes_sign_as_secretary(actor=personas.secretary, meeting=personas.meeting, passphrase="p12-pass-123", acknowledged=True)
    reports, _ = signing.verify(ms.read_pdf(minutes), ms.trust_roots())
    # Intact and valid, but an imported chain is not trusted automatically.
    assert [(r.signer, r.intact, r.trusted) for r in reports] == [("Lê Thị Thư", True, False)]


def test_the_pdf_a_variant_is_the_archived_one(personas, tmp_path):
    hold_meeting(personas)
    ms.minutes_open(actor=personas.secretary, meeting=personas.meeting)
    minutes = Minutes.objects.get()
    from minutes.selectors import draft_texts
    pdf = render.render_pdf(personas.meeting, draft_texts(minutes)).pdf
    meta = run(["pdfinfo", "-meta", _pdf_file(tmp_path, pdf)])
    assert re.search(r"pdfaid:part[^0-9]*3", meta) and re.search(r"pdfaid:conformance[^A-Z]*U", meta), meta


def test_an_item_added_after_the_draft_started_gets_its_own_section_once(personas):
    from minutes.selectors import draft_texts
    from sessions import agenda

    first = ms.minutes_open(actor=personas.secretary, meeting=personas.meeting)
    item = agenda.agenda_item_add(actor=personas.secretary, meeting=personas.meeting, title="Công tác phát triển đảng viên")
    ms.minutes_open(actor=personas.secretary, meeting=personas.meeting)
    again = ms.minutes_open(actor=personas.chair, meeting=personas.meeting)
    keys = [s["key"] for s in again.sections]
    assert keys[-3:] == [f"item.{item.pk}", "conclusions", "closing"] and len(keys) == len(first.sections) + 1
    assert draft_texts(again)[f"item.{item.pk}"] == ""


@pytest.mark.django_db(transaction=True)  # the snapshot sets its own isolation level
def test_minutes_events_bring_a_stale_snapshot_up_to_date(personas):
    from sessions.events import apply_event
    from sessions.snapshot import build_snapshot, shared_part

    hold_meeting(personas)
    stale = shared_part(build_snapshot(personas.meeting.pk, personas.member))
    assert stale["minutes"]["status"] == "none"
    sign_both(personas)
    for event in Event.objects.filter(meeting=personas.meeting, seq__gt=stale["seq"]).order_by("seq"):
        apply_event(stale, event.as_message())
    assert stale == shared_part(build_snapshot(personas.meeting.pk, personas.member))
    assert stale["minutes"]["status"] == "signed"


def test_signing_needs_a_closed_meeting_and_two_different_people(personas):
    p = personas
    from sessions import services as ss

    ss.meeting_open(actor=p.chair, meeting=p.meeting)
    with pytest.raises(Conflict, match="bế mạc"):
        ms.minutes_sign_as_secretary(actor=p.secretary, meeting=p.meeting, passphrase=PASS_SECRETARY, acknowledged=True)
    # Chair and secretary are two people, and the chair votes in the committee.
    with pytest.raises(Invalid, match="hai người khác nhau"):
        ss.meeting_update(actor=p.secretary, meeting=p.meeting, chair=p.secretary)
    with pytest.raises(Invalid, match="quyền biểu quyết"):
        ss.meeting_update(actor=p.secretary, meeting=p.meeting, chair=p.observer)
    # Changing the chair is audited with the old and the new value.
    ss.meeting_update(actor=p.secretary, meeting=p.meeting, chair=p.members[0])
    entry = AuditEntry.objects.filter(action="meeting.updated").latest("id")
    assert entry.data["roles_changed"] == {"chair": {"from": p.chair.pk, "to": p.members[0].pk}}


def test_one_person_holding_both_roles_still_signs_only_once(personas):
    from sessions.models import Membership

    p = personas
    hold_meeting(p)
    # The committee's secretary is also made a chair of the committee: she may not sign twice.
    Membership.objects.filter(committee=p.committee, user=p.secretary).update(is_chair=True)
    ms.credential_issue(actor=p.secretary, committee=p.committee, passphrase=PASS_SECRETARY)
    ms.minutes_sign_as_secretary(actor=p.secretary, meeting=p.meeting, passphrase=PASS_SECRETARY, acknowledged=True)
    with pytest.raises(Conflict, match="không thể ký cả hai chỗ"):
        ms.minutes_sign_as_chair(actor=p.secretary, meeting=p.meeting, passphrase=PASS_SECRETARY)
    assert Minutes.objects.get(meeting=p.meeting).status == Minutes.Status.SECRETARY_SIGNED


def test_the_secretary_sees_what_the_record_lacks_and_must_confirm(personas):
    from minutes import selectors as msel
    from sessions import services as ss

    from voting import services as vs

    p = personas
    ss.meeting_open(actor=p.chair, meeting=p.meeting)
    ss.attendance_set(actor=p.secretary, meeting=p.meeting, user_id=p.members[0].pk, status="present")
    items = list(p.meeting.agenda_items.order_by("position", "id"))
    vs.poll_create(actor=p.chair, meeting=p.meeting, agenda_item_id=items[0].pk, title="Kết nạp đảng viên mới",
                   secret=False)   # prepared, never opened
    ss.meeting_close(actor=p.chair, meeting=p.meeting)
    p.meeting.refresh_from_db()
    draft = ms.minutes_open(actor=p.secretary, meeting=p.meeting)
    lacking = msel.signing_checklist(p.meeting, draft)
    assert any("Chưa ghi điểm danh cho 2 đồng chí" in i for i in lacking)   # members 2 and 3
    assert "Chưa ghi kết luận của chủ trì." in lacking
    assert any("không tiến hành" in i and "Kết nạp đảng viên mới" in i for i in lacking), lacking
    untouched = next(i for i in lacking if i.startswith("Chưa ghi diễn biến"))
    assert f"cho {len(items)} nội dung" in untouched and items[0].title in untouched
    # Writing an item's discussion takes it off the list.
    _, update = edit_section(bytes(draft.ydoc), f"item.{items[0].pk}", 0, "Chi bộ thảo luận và thống nhất. ")
    ms.minutes_apply_update(actor=p.secretary, meeting=p.meeting, update=update)
    draft.refresh_from_db()
    untouched = next(i for i in msel.signing_checklist(p.meeting, draft) if i.startswith("Chưa ghi diễn biến"))
    assert f"cho {len(items) - 1} nội dung" in untouched
    ms.credential_issue(actor=p.secretary, committee=p.committee, passphrase=PASS_SECRETARY)
    with pytest.raises(Invalid, match="Hãy xác nhận") as err:
        ms.minutes_sign_as_secretary(actor=p.secretary, meeting=p.meeting, passphrase=PASS_SECRETARY,
                                     acknowledged=False)
    assert err.value.field == "acknowledged"
    assert Minutes.objects.get(meeting=p.meeting).status == Minutes.Status.DRAFT
    # With the conclusion written and everyone recorded, nothing is lacking.
    _, update = edit_section(bytes(draft.ydoc), "conclusions", len("Đồng chí chủ trì kết luận:\n"), "Thống nhất.")
    ms.minutes_apply_update(actor=p.secretary, meeting=p.meeting, update=update)
    draft.refresh_from_db()
    lacking = msel.signing_checklist(p.meeting, draft)
    assert "Chưa ghi kết luận của chủ trì." not in lacking
    ms.minutes_sign_as_secretary(actor=p.secretary, meeting=p.meeting, passphrase=PASS_SECRETARY, acknowledged=True)
