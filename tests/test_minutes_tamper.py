"""Tampered signed minutes, as a forger would make them: every change after a signature is flagged.

Incremental updates keep earlier signatures cryptographically intact, so "the signature is valid"
is not enough: the verifier must also say that the file was changed after it was signed. The only
change accepted after the secretary's signature is the chair filling the chair's own field.
"""
import io
from pathlib import Path

import pytest
from django.conf import settings
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import SigFieldSpec, append_signature_field
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, NameObject
from pypdf.annotations import FreeText

from minutes import render, services as ms, signing
from tests.conftest import scaled
from tests.test_minutes_support import PASS_CHAIR, PASS_SECRETARY, hold_meeting, run, sign_both

pytestmark = [pytest.mark.django_db, scaled]


def _signed(p) -> bytes:
    hold_meeting(p)
    minutes = sign_both(p)
    return (Path(settings.PRIVATE_MEDIA_ROOT) / minutes.pdf_path).read_bytes()


def _pypdf_update(pdf: bytes, change) -> bytes:
    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _annotate(writer):
    writer.add_annotation(page_number=0, annotation=FreeText(
        text="Không thông qua", rect=(70, 400, 400, 430), font_size="14pt"))


def _retitle(writer):
    writer.add_metadata({"/Title": "Biên bản đã sửa"})


def _new_content(writer):
    # A white box drawn over the body text, as a new content stream of page 1.
    page = writer.pages[0]
    box = DecodedStreamObject()
    box.set_data(b"q 1 1 1 rg 60 380 400 60 re f Q")
    stream = writer._add_object(box)
    contents = page["/Contents"]
    arr = contents if isinstance(contents, list) else ArrayObject([contents])
    arr.append(stream)
    page[NameObject("/Contents")] = arr


def _new_sig_field(pdf: bytes) -> bytes:
    # A fresh visible signature field whose box lies over the body text (where a result is printed).
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    append_signature_field(writer, SigFieldSpec(sig_field_name="Extra", on_page=0, box=(60, 380, 460, 440)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def tampered(pdf: bytes, attack: str) -> bytes:
    """The signed file with one kind of change appended as a true incremental update."""
    return {
        "annotation": lambda: _pypdf_update(pdf, _annotate),
        "metadata": lambda: _pypdf_update(pdf, _retitle),
        "content": lambda: _pypdf_update(pdf, _new_content),
        "signature_field": lambda: _new_sig_field(pdf),
    }[attack]()


def _summaries(pdf: bytes):
    reports, error = signing.verify(pdf, ms.trust_roots())
    assert error is None
    return reports


def test_an_untouched_file_verifies_even_when_the_chair_signs_later(personas, tmp_path):
    import time

    p = personas
    hold_meeting(p)
    ms.credential_issue(actor=p.secretary, committee=p.committee, passphrase=PASS_SECRETARY)
    ms.credential_issue(actor=p.chair, committee=p.committee, passphrase=PASS_CHAIR)
    ms.minutes_sign_as_secretary(actor=p.secretary, meeting=p.meeting, passphrase=PASS_SECRETARY, acknowledged=True)
    time.sleep(1.1)   # signing refreshes the modification date in /Info and XMP: a different second
    minutes = ms.minutes_sign_as_chair(actor=p.chair, meeting=p.meeting, passphrase=PASS_CHAIR)
    pdf = (Path(settings.PRIVATE_MEDIA_ROOT) / minutes.pdf_path).read_bytes()
    reports = _summaries(pdf)
    assert [(r.field, r.intact, r.valid, r.modified_after) for r in reports] == [
        (render.SECRETARY_FIELD, True, True, False), (render.CHAIR_FIELD, True, True, False)]


@pytest.mark.parametrize("attack", ["annotation", "metadata", "content", "signature_field"])
def test_any_change_after_the_last_signature_is_reported_as_modified(personas, tmp_path, attack):
    pdf = _signed(personas)
    changed = tampered(pdf, attack)
    assert changed.startswith(pdf)   # a true incremental update: both signatures stay intact
    reports = _summaries(changed)
    assert all(r.intact and r.valid for r in reports)
    assert all(r.modified_after for r in reports), [(r.field, r.summary) for r in reports]
    assert all("sửa đổi" in r.summary for r in reports)
    # The web verifier says the same.
    from django.test import Client

    c = Client()
    c.force_login(personas.member)
    upload = io.BytesIO(changed)
    upload.name = "bien-ban.pdf"
    page = c.post(f"/meetings/{personas.meeting.pk}/minutes/verify/", {"file": upload}).content.decode()
    verdict = page[page.index('id="verdict"'):]
    assert "CẢNH BÁO: tệp đã bị sửa đổi" in verdict.split("</p>")[0]
    uploaded_reports = verdict.split("</p>", 2)[2]
    assert "Chữ ký hợp lệ nhưng tệp đã bị sửa đổi sau khi ký" in uploaded_reports
    assert "Chữ ký hợp lệ, nội dung nguyên vẹn" not in uploaded_reports


@pytest.mark.parametrize("attack", [_annotate, _retitle], ids=["annotation", "metadata"])
def test_a_change_slipped_in_between_the_two_signatures_is_reported_on_the_secretarys(personas, attack):
    p = personas
    hold_meeting(p)
    ms.credential_issue(actor=p.secretary, committee=p.committee, passphrase=PASS_SECRETARY)
    ms.credential_issue(actor=p.chair, committee=p.committee, passphrase=PASS_CHAIR)
    minutes = ms.minutes_sign_as_secretary(actor=p.secretary, meeting=p.meeting, passphrase=PASS_SECRETARY, acknowledged=True)
    path = Path(settings.PRIVATE_MEDIA_ROOT) / minutes.pdf_path
    forged = _pypdf_update(path.read_bytes(), attack)
    path.write_bytes(forged)
    # The stored hash no longer matches: the system refuses to let the chair sign the forged file.
    with pytest.raises(Exception, match="không khớp"):
        ms.minutes_sign_as_chair(actor=p.chair, meeting=p.meeting, passphrase=PASS_CHAIR)
    # And a chair signing it elsewhere would not hide it: the secretary's signature reports the change
    # (an extra revision between the two signatures, whatever it contains).
    signer_minutes_like = signing.sign(forged, field_name=render.CHAIR_FIELD,
                                       signer=_chair_signer(p), display_name="Nguyễn Văn Chủ",
                                       role="Chủ trì", when_text="01/01/2027 08:00")
    reports = _summaries(signer_minutes_like)
    by_field = {r.field: r for r in reports}
    assert by_field[render.SECRETARY_FIELD].modified_after
    assert not by_field[render.CHAIR_FIELD].modified_after


def _chair_signer(p):
    cred = ms.active_credential(p.chair)
    return signing.make_signer(cert_pem=cred.cert_pem, key_pem_encrypted=cred.key_pem_encrypted,
                               passphrase=PASS_CHAIR, chain_pem=cred.chain_pem)


def test_a_flipped_byte_in_the_signed_range_breaks_the_signature(personas, tmp_path):
    pdf = bytearray(_signed(personas))
    i = pdf.index(b"BI")   # inside the first revision's content
    pdf[i + 1] ^= 0x01
    reports, error = signing.verify(bytes(pdf), ms.trust_roots())
    assert error or not all(r.intact for r in reports)
    path = tmp_path / "flipped.pdf"
    path.write_bytes(bytes(pdf))
    assert "Signature is Valid" not in run(["pdfsig", str(path)]).split("Signature #2")[0]


def test_a_changed_archive_is_never_served_and_the_refusal_is_audited(personas):
    from django.test import Client

    from audit.models import AuditEntry

    pdf = _signed(personas)
    from minutes.models import Minutes

    minutes = Minutes.objects.get(meeting=personas.meeting)
    path = Path(settings.PRIVATE_MEDIA_ROOT) / minutes.pdf_path
    c = Client()
    c.force_login(personas.member)
    assert c.get(f"/meetings/{personas.meeting.pk}/minutes/bien-ban.pdf").content == pdf
    path.write_bytes(_pypdf_update(pdf, _retitle))
    r = c.get(f"/meetings/{personas.meeting.pk}/minutes/bien-ban.pdf")
    assert r.status_code == 409 and r["Content-Type"].startswith("text/html")
    assert "không khớp mã kiểm tra" in r.content.decode()
    assert AuditEntry.objects.filter(action="minutes.archive_mismatch").exists()


def test_the_verify_page_compares_the_signed_record_with_the_event_log(personas):
    from django.test import Client

    from sessions.models import Event

    _signed(personas)
    c = Client()
    c.force_login(personas.member)
    page = c.get(f"/meetings/{personas.meeting.pk}/minutes/verify/").content.decode()
    check = page[page.index('id="record-check"'):].split("</p>")[0]
    assert "sig-ok" in page[page.index('id="record-check"') - 40:page.index('id="record-check"') + 60]
    assert "CẢNH BÁO" not in check
    # The administrator edits a past event in the database: the verify page says so.
    first = Event.objects.filter(meeting=personas.meeting).order_by("seq").first()
    Event.objects.filter(pk=first.pk).update(data={"patch": {"meeting": None}})
    page = c.get(f"/meetings/{personas.meeting.pk}/minutes/verify/").content.decode()
    check = page[page.index('id="record-check"'):].split("</p>")[0]
    assert "không còn khớp" in check


def test_an_event_recorded_after_signing_is_reported_as_missing_from_the_minutes(personas):
    from django.test import Client

    from sessions.events import emit

    _signed(personas)
    emit(personas.meeting, "agenda.current", patch={}, actor=personas.chair)  # as if a poll had run after
    c = Client()
    c.force_login(personas.member)
    page = c.get(f"/meetings/{personas.meeting.pk}/minutes/verify/").content.decode()
    check = page[page.index('id="record-check"'):].split("</p>")[0]
    assert "có 1 sự kiện xảy ra sau khi lập biên bản" in check
