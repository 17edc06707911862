"""Minutes pages: who may open what, and the whole signing flow through the HTTP forms."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from minutes.models import Minutes
from tests.conftest import scaled
from tests.test_minutes_support import hold_meeting

pytestmark = [pytest.mark.django_db, scaled]


def client_for(user):
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def url(name, p):
    return reverse(name, args=[p.meeting.pk])


def status_of(p, name, user):
    return client_for(user).get(url(name, p)).status_code


def test_only_secretary_and_chair_open_the_editor_and_the_preview(personas):
    for name in ("minutes_edit", "minutes_preview"):
        assert status_of(personas, name, personas.secretary) == 200
        assert status_of(personas, name, personas.chair) == 200
        assert status_of(personas, name, personas.member) == 403
        assert status_of(personas, name, personas.observer) == 403
        assert status_of(personas, name, personas.outsider) == 404
        assert status_of(personas, name, None) == 302
    html = client_for(personas.secretary).get(url("minutes_edit", personas)).content.decode()
    assert 'data-key="conclusions"' in html and "minutes/vendor/yjs.js" in html
    preview = client_for(personas.chair).get(url("minutes_preview", personas))
    assert preview["Content-Type"] == "application/pdf" and preview.content.startswith(b"%PDF")


def test_sign_page_is_for_the_signers_only(personas):
    assert status_of(personas, "minutes_sign", personas.secretary) == 200
    assert status_of(personas, "minutes_sign", personas.chair) == 200
    assert status_of(personas, "minutes_sign", personas.member) == 403
    assert status_of(personas, "minutes_sign", personas.outsider) == 404
    r = client_for(personas.member).post(url("minutes_sign", personas), {"op": "sign", "passphrase": "x" * 10})
    assert r.status_code == 403


def _sign_through_forms(p, user, passphrase):
    c = client_for(user)
    r = c.post(url("minutes_sign", p), {"op": "create_certificate", "passphrase": passphrase,
                                        "passphrase2": passphrase})
    assert r.status_code == 302, r.content.decode()[:500]
    page = c.get(url("minutes_sign", p)).content.decode()
    if user == p.secretary:
        # What the record lacks is listed, and signing needs the confirmation box.
        assert 'id="signing-checklist"' in page and "Chưa ghi kết luận của chủ trì." in page
        refused = c.post(url("minutes_sign", p), {"op": "sign", "passphrase": passphrase})
        assert refused.status_code == 400 and "Hãy xác nhận đã xem" in refused.content.decode()
    r = c.post(url("minutes_sign", p), {"op": "sign", "passphrase": passphrase, "acknowledged": "1"})
    assert r.status_code == 302, r.content.decode()[:500]


def test_the_signing_flow_through_the_pages_and_who_sees_the_signed_file(personas):
    hold_meeting(personas)
    client_for(personas.secretary).get(url("minutes_edit", personas))
    assert status_of(personas, "minutes_pdf", personas.secretary) == 404

    # Mistakes get a clear 400 and change nothing.
    r = client_for(personas.secretary).post(url("minutes_sign", personas), {
        "op": "create_certificate", "passphrase": "mat-khau-dai", "passphrase2": "khac-han"})
    assert r.status_code == 400 and "không khớp" in r.content.decode()

    _sign_through_forms(personas, personas.secretary, "mat-khau-thu-ky")
    assert Minutes.objects.get().status == "secretary_signed"
    # Half-signed: the chair reviews it; members do not see it yet.
    assert status_of(personas, "minutes_pdf", personas.chair) == 200
    assert status_of(personas, "minutes_pdf", personas.member) == 404

    r = client_for(personas.chair).post(url("minutes_sign", personas), {"op": "sign", "passphrase": "chua-co"})
    assert r.status_code == 409  # no certificate yet
    _sign_through_forms(personas, personas.chair, "mat-khau-chu-tri")
    assert Minutes.objects.get().status == "signed"

    for user in (personas.member, personas.observer, personas.chair):
        r = client_for(user).get(url("minutes_pdf", personas))
        assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
        assert r["Cache-Control"] == "private, no-store"
    assert status_of(personas, "minutes_pdf", personas.outsider) == 404
    assert status_of(personas, "minutes_pdf", None) == 302


def test_the_verify_page_shows_both_signatures_and_flags_a_modified_upload(personas):
    hold_meeting(personas)
    client_for(personas.secretary).get(url("minutes_edit", personas))
    _sign_through_forms(personas, personas.secretary, "mat-khau-thu-ky")
    _sign_through_forms(personas, personas.chair, "mat-khau-chu-tri")
    assert status_of(personas, "minutes_verify", personas.outsider) == 404
    member = client_for(personas.member)
    page = member.get(url("minutes_verify", personas)).content.decode()
    assert page.count("Chữ ký hợp lệ, nội dung nguyên vẹn.") == 2
    assert "Lê Thị Thư" in page and "Nguyễn Văn Chủ" in page

    original = member.get(url("minutes_pdf", personas)).content
    r = member.post(url("minutes_verify", personas), {"file": SimpleUploadedFile("bb.pdf", original)})
    assert "Tệp trùng khớp với bản lưu trữ" in r.content.decode()

    tampered = bytearray(original)
    pos = tampered.index(b"stream", 2000) + 20
    tampered[pos] ^= 0x20
    r = member.post(url("minutes_verify", personas), {"file": SimpleUploadedFile("bb.pdf", bytes(tampered))})
    html = r.content.decode()
    assert "CẢNH BÁO" in html and "Tệp trùng khớp" not in html

    r = member.post(url("minutes_verify", personas), {"file": SimpleUploadedFile("x.pdf", b"not a pdf")})
    assert "CẢNH BÁO" in r.content.decode()
    assert member.post(url("minutes_verify", personas), {}).status_code == 400
