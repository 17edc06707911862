"""Private notes and highlights: saved on the server, back on any device, never seen by anyone else."""
import pytest
from asgiref.sync import sync_to_async

from documents import services
from sessions.snapshot import build_snapshot
from tests.conftest import session_cookie
from tests.documents_helpers import make_pdf
from tests.wsclient import MeetingSocket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def doc(personas, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return services.document_upload(actor=personas.secretary, meeting=personas.meeting, data=make_pdf(3),
                                    original_name="bao-cao.pdf")


@pytest.fixture
def cookies(personas):
    people = {"member": personas.member, "member2": personas.members[1], "chair": personas.chair,
              "secretary": personas.secretary}
    return {name: session_cookie(user) for name, user in people.items()}


async def test_a_note_follows_its_author_to_another_device_and_nobody_else(daphne, personas, doc, cookies):
    tablet = await MeetingSocket.connect(daphne, cookies["member"], personas.meeting.pk)
    saved = await tablet.ok("annotation.save", {"document_id": doc.pk, "page": 2, "text": "Hỏi về kinh phí mục 3"})
    note_id = saved["annotation"]["id"]
    await tablet.ok("annotation.save", {"document_id": doc.pk, "page": 1, "kind": "highlight",
                                        "rect": [0.1, 0.2, 0.5, 0.05]})
    await tablet.close()

    phone_cookie = await sync_to_async(session_cookie)(personas.member)  # another device: another session
    phone = await MeetingSocket.connect(daphne, phone_cookie, personas.meeting.pk)
    notes = phone.state["annotations"]
    assert [(n["page"], n["kind"], n["text"]) for n in notes] == [(1, "highlight", ""), (2, "note", "Hỏi về kinh phí mục 3")]
    await phone.close()

    for other in ("member2", "chair", "secretary"):
        sock = await MeetingSocket.connect(daphne, cookies[other], personas.meeting.pk)
        assert sock.state["annotations"] == []
        assert "kinh phí" not in str(sock.state)
        edit = await sock.request("annotation.save", {"document_id": doc.pk, "id": note_id, "page": 2, "text": "sửa"})
        assert edit["type"] == "error" and edit["content"]["code"] == "not_found"
        delete = await sock.request("annotation.delete", {"id": note_id})
        assert delete["type"] == "error" and delete["content"]["code"] == "not_found"
        assert "kinh phí" not in str(sock.frames)
        await sock.close()


async def test_bad_annotations_get_clear_errors(daphne, personas, doc, cookies):
    sock = await MeetingSocket.connect(daphne, cookies["member"], personas.meeting.pk)
    cases = [
        ({"document_id": doc.pk, "page": 9, "text": "x"}, "page"),
        ({"document_id": doc.pk, "page": 1, "text": "  "}, "text"),
        ({"document_id": doc.pk, "page": 1, "kind": "highlight", "rect": [0, 0, 2, 1]}, "rect"),
        ({"document_id": doc.pk, "page": 1, "kind": "highlight"}, "rect"),
        ({"document_id": doc.pk, "page": 1, "kind": "scribble", "text": "x"}, "kind"),
    ]
    for content, field in cases:
        reply = await sock.request("annotation.save", content)
        assert reply["type"] == "error" and reply["content"]["field"] == field, reply
    await sock.close()


def test_the_snapshot_of_another_user_never_contains_my_notes(personas, doc):
    services.annotation_save(actor=personas.member, document=doc, page=1, text="Ý kiến riêng")
    assert build_snapshot(personas.meeting.pk, personas.member)["annotations"][0]["text"] == "Ý kiến riêng"
    for other in (personas.chair, personas.secretary, personas.members[1], personas.observer):
        assert "Ý kiến riêng" not in str(build_snapshot(personas.meeting.pk, other))
