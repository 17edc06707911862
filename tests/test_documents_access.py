"""Who can open which document, how confidential ones are served, and that every opening is audited."""
import io

import pytest
from django.test import Client
from PIL import ImageChops
from pypdf import PdfReader

from audit.models import AuditEntry
from documents import services
from sessions import services as meeting_services
from sessions.models import Meeting
from tests.documents_helpers import embedded_page_images, make_pdf, page_texts, store_as_is
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.VAR_DIR = tmp_path / "var"


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def add_doc(personas, pages=3, **flags):
    return services.document_upload(actor=personas.secretary, meeting=personas.meeting, data=make_pdf(pages),
                                    original_name="tai-lieu.pdf", title="Tờ trình nhân sự", **flags)


def test_a_member_views_and_downloads_a_normal_document(personas):
    doc = add_doc(personas)
    client = client_for(personas.member)
    view = client.get(f"/documents/{doc.pk}/view")
    assert view.status_code == 200 and view["Content-Type"] == "application/pdf"
    assert view["Content-Disposition"].startswith("inline")
    # A cleaned copy of the stored file (served_copy.clean_pdf), the same for viewing and downloading.
    viewed = b"".join(view.streaming_content)
    assert len(PdfReader(io.BytesIO(viewed)).pages) == 3
    download = client.get(f"/documents/{doc.pk}/download")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == viewed
    actions = list(AuditEntry.objects.filter(object_id=str(doc.pk), actor=personas.member)
                   .values_list("action", flat=True).order_by("id"))
    assert actions == ["document.viewed", "document.downloaded"]


def test_a_member_of_another_committee_gets_404(personas):
    doc = add_doc(personas)
    client = client_for(personas.outsider)
    for url in (f"/documents/{doc.pk}/view", f"/documents/{doc.pk}/download",
                f"/meetings/{personas.meeting.pk}/documents.json"):
        assert client.get(url).status_code == 404
    assert not AuditEntry.objects.filter(actor=personas.outsider, action__startswith="document.").exists()


def test_anonymous_users_get_401_not_the_file(personas):
    doc = add_doc(personas)
    assert Client().get(f"/documents/{doc.pk}/view").status_code == 401


def test_a_guest_sees_only_guest_visible_documents(personas):
    guest = make_user("guest", "Khách Mời Một")
    meeting_services.meeting_invite_guest(actor=personas.secretary, meeting=personas.meeting, user=guest)
    shown = add_doc(personas, guest_visible=True)
    hidden = add_doc(personas)
    client = client_for(guest)
    listed = client.get(f"/meetings/{personas.meeting.pk}/documents.json").json()["documents"]
    assert [d["id"] for d in listed] == [shown.pk]
    assert client.get(f"/documents/{shown.pk}/view").status_code == 200
    assert client.get(f"/documents/{hidden.pk}/view").status_code == 404
    member_list = client_for(personas.member).get(f"/meetings/{personas.meeting.pk}/documents.json").json()
    assert {d["id"] for d in member_list["documents"]} == {shown.pk, hidden.pk}


def test_a_confidential_document_cannot_be_downloaded(personas):
    doc = add_doc(personas, confidential=True)
    r = client_for(personas.member).get(f"/documents/{doc.pk}/download")
    assert r.status_code == 403 and "không được tải về" in r.json()["message"]
    assert r["Content-Type"].startswith("application/json")


def test_a_confidential_document_is_served_as_pictures_stamped_for_each_viewer(personas):
    # The stamp's pixels are checked against the viewer's name in test_documents_mat.py.
    doc = add_doc(personas, pages=4, confidential=True)
    r = client_for(personas.member).get(f"/documents/{doc.pk}/view")
    assert r.status_code == 200
    assert r["Cache-Control"] == "private, no-store, max-age=0"
    texts = page_texts(r.content)
    assert len(texts) == 4 and all(t.strip() == "" for t in texts)
    member_page = embedded_page_images(r.content)[0]
    chair_page = embedded_page_images(client_for(personas.chair).get(f"/documents/{doc.pk}/view").content)[0]
    assert member_page.size == chair_page.size
    assert ImageChops.difference(member_page, chair_page).getbbox() is not None
    entry = AuditEntry.objects.filter(action="document.viewed", actor=personas.member, object_id=str(doc.pk)).get()
    assert entry.data == {"version": 1, "confidential": True}


def test_a_confidential_document_is_served_only_while_the_meeting_runs(personas):
    doc = add_doc(personas, confidential=True)
    Meeting.objects.filter(pk=personas.meeting.pk).update(status=Meeting.Status.CLOSED)
    r = client_for(personas.member).get(f"/documents/{doc.pk}/view")
    assert r.status_code == 403 and "trong thời gian cuộc họp" in r.json()["message"]


def test_normal_documents_are_not_served_with_no_store_but_must_revalidate(personas):
    doc = add_doc(personas)
    r = client_for(personas.member).get(f"/documents/{doc.pk}/view")
    assert r["Cache-Control"] == "private, no-cache"


def test_an_unknown_version_is_404(personas):
    doc = add_doc(personas)
    assert client_for(personas.member).get(f"/documents/{doc.pk}/view?v=9").status_code == 404
    assert client_for(personas.member).get(f"/documents/{doc.pk}/view?v=abc").status_code == 400


@pytest.mark.parametrize("confidential", [False, True])
def test_a_stored_file_that_cannot_be_read_gets_a_clear_refusal_not_a_500(personas, confidential):
    # A file stored before today's checks (written directly: uploads refuse it) that pypdf/PDFium cannot read.
    doc = add_doc(personas, confidential=confidential)
    broken = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    store_as_is(doc, broken)
    r = client_for(personas.member).get(f"/documents/{doc.pk}/view")
    assert r.status_code == 409 and "tải lên lại" in r.json()["message"]
