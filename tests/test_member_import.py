"""Members imported from the Party member database's export: preview with per-row errors, apply in
one transaction, idempotent on the member code, clear refusals of bad files (issue 17)."""
import io
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from audit.models import AuditEntry
from sessions.models import Membership

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]
HEADER = ["Mã đảng viên", "Họ và tên", "Chức vụ", "Ngày vào Đảng", "Email"]


def _xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _people(n):
    roles = ["Đảng viên", "Ủy viên", "Phó Bí thư", "Dự bị"]
    return [[f"01{i:06d}", f"Nguyễn Văn Số {i}", roles[i % 4] if i else "Bí thư", f"{1 + i % 28:02d}/0{1 + i % 9}/2001",
             f"dv{i}@phuong.vn"] for i in range(n)]


@pytest.fixture
def admin_client(personas):
    admin = get_user_model().objects.create_user("quantri", password="x" * 12, first_name="Quản Trị")
    Membership.objects.create(committee=personas.committee, user=admin, is_admin=True, is_voting_member=False)
    c = Client()
    c.force_login(admin)
    return c


def _url(p):
    return f"/prepare/committees/{p.committee.pk}/members/import"


def _upload(client, p, data, name="dang-vien.xlsx"):
    return client.post(_url(p), {"file": SimpleUploadedFile(name, data)})


def _token(page: str) -> str:
    return page.split('name="rows" value="', 1)[1].split('"', 1)[0]


def test_1300_members_are_previewed_applied_once_and_reimported_without_change(personas, admin_client):
    p = personas
    before = Membership.objects.filter(committee=p.committee).count()
    started = time.perf_counter()
    page = _upload(admin_client, p, _xlsx(_people(1300))).content.decode()
    assert "Sẽ thêm 1300, cập nhật 0, không đổi 0." in page
    assert Membership.objects.filter(committee=p.committee).count() == before   # a preview writes nothing
    result = admin_client.post(_url(p), {"op": "apply", "rows": _token(page)}).content.decode()
    print(f"1,300-row XLSX previewed and applied in {time.perf_counter() - started:.1f} s")
    assert "Đã nhập: thêm 1300, cập nhật 0, không đổi 0." in result
    assert result.count("<code>") == 1300   # one-time passwords shown once
    members = Membership.objects.filter(committee=p.committee).exclude(member_code="")
    assert members.count() == 1300
    chair = members.get(member_code="01000000")
    assert chair.is_chair and chair.title == "Bí thư" and chair.joined_party_on.isoformat() == "2001-01-01"
    assert not members.get(member_code="01000003").is_voting_member   # đảng viên dự bị
    assert AuditEntry.objects.filter(action="members.imported").count() == 1
    # The same file again: nothing changes, no account is created twice.
    users = get_user_model().objects.count()
    page = _upload(admin_client, p, _xlsx(_people(1300))).content.decode()
    assert "Sẽ thêm 0, cập nhật 0, không đổi 1300." in page
    # One person renamed: one update.
    people = _people(1300)
    people[5][1] = "Nguyễn Văn Đổi Tên"
    page = _upload(admin_client, p, _xlsx(people)).content.decode()
    assert "Sẽ thêm 0, cập nhật 1, không đổi 1299." in page
    admin_client.post(_url(p), {"op": "apply", "rows": _token(page)})
    assert get_user_model().objects.count() == users
    assert members.get(member_code="01000005").user.first_name == "Nguyễn Văn Đổi Tên"


def test_bad_rows_are_reported_line_by_line_and_nothing_is_written(personas, admin_client):
    p = personas
    people = _people(10)
    people[2][1] = ""                  # line 4: missing name
    people[3][3] = "31/02/2001"        # line 5: bad date
    people[4][2] = "Trưởng thôn"       # line 6: unknown role
    people[6][0] = people[5][0]        # line 8: duplicate of line 7
    people[7][4] = "khong-phai-email"  # line 9
    response = _upload(admin_client, p, _xlsx(people))
    page = response.content.decode()
    assert "Có 5 dòng lỗi" in page and 'name="op" value="apply"' not in page
    table = page.split('id="import-errors"', 1)[1]
    for line, message in ((4, "thiếu họ và tên"), (5, "ngày vào Đảng không hợp lệ"), (6, "chức vụ không rõ"),
                          (8, "trùng mã với dòng 7"), (9, "email không hợp lệ")):
        assert f"<td>{line}</td>" in table and message in table, (line, message)
    assert not Membership.objects.filter(committee=p.committee).exclude(member_code="").exists()


@pytest.mark.parametrize("name,data,message", [
    ("sai-cot.xlsx", None, "Thiếu cột"),
    ("hong.xlsx", b"PK\x03\x04 not really a workbook", "Không đọc được tệp Excel"),
    ("to.xlsx", b"x" * (50 * 1024 * 1024), "Tệp quá lớn"),
    ("danh-sach.pdf", b"%PDF-1.7", "Chỉ nhận tệp .xlsx hoặc .csv"),
    ("utf16.csv", "Mã đảng viên,Họ và tên\n1,Nguyễn An\n".encode("utf-16"), "UTF-8"),
])
def test_bad_files_are_refused_clearly(personas, admin_client, name, data, message):
    if data is None:
        book = Workbook()
        book.active.append(["Số thứ tự", "Tên"])
        out = io.BytesIO()
        book.save(out)
        data = out.getvalue()
    response = _upload(admin_client, personas, data, name)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Membership.objects.filter(committee=personas.committee).exclude(member_code="").exists()


def test_only_the_committee_admin_imports_and_a_changed_preview_is_refused(personas, admin_client):
    p = personas
    secretary = Client()
    secretary.force_login(p.secretary)
    assert _upload(secretary, p, _xlsx(_people(3))).status_code == 403
    page = _upload(admin_client, p, _xlsx(_people(3))).content.decode()
    forged = _token(page)[:-3] + "abc"
    response = admin_client.post(_url(p), {"op": "apply", "rows": forged})
    assert response.status_code == 400 and "đã hết hạn hoặc bị sửa" in response.content.decode()
    assert not Membership.objects.filter(committee=p.committee).exclude(member_code="").exists()


def test_the_sample_csv_in_docs_imports(personas, admin_client):
    from pathlib import Path

    sample = Path(__file__).resolve().parent.parent / "docs" / "mau-nhap-dang-vien.csv"
    page = _upload(admin_client, personas, sample.read_bytes(), "mau-nhap-dang-vien.csv").content.decode()
    assert "Có " not in page and 'name="op" value="apply"' in page
