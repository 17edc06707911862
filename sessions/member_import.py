"""Members imported from the Party member database's export (CSV or XLSX), per committee.

Two steps: `preview` reads the file and says, row by row, what would happen and what is wrong (in
Vietnamese); `apply` does it in one transaction — every row or none — matching people on their
member code, so importing the same file again changes nothing. New people get an account whose
one-time password is shown once, on the result page, and never stored in clear.
Columns (the first row, any order, case and accents as exported): Mã đảng viên, Họ và tên,
Chức vụ (optional: Bí thư, Phó Bí thư, Ủy viên, Đảng viên, Dự bị), Ngày vào Đảng (dd/mm/yyyy,
optional), Email (optional). A sample is in docs/mau-nhap-dang-vien.csv.
"""
import csv
import io
import re
import secrets
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.core.validators import validate_email
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from sessions.errors import Invalid
from sessions.models import Committee, Membership

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
COLUMNS = {"mã đảng viên": "code", "họ và tên": "name", "chức vụ": "role", "ngày vào đảng": "joined", "email": "email"}
REQUIRED = ("code", "name")
# Chức vụ → (title, voting member, committee chair). A probationary member (đảng viên dự bị) has
# every right but voting, standing and electing (Điều lệ Đảng, điều 5).
ROLES = {"bí thư": ("Bí thư", True, True), "phó bí thư": ("Phó Bí thư", True, False),
         "ủy viên": ("Ủy viên", True, False), "đảng viên": ("", True, False),
         "dự bị": ("Đảng viên dự bị", False, False)}
_CODE = re.compile(r"^[A-Za-z0-9.\-/]{1,32}$")


@dataclass
class Row:
    line: int
    code: str
    name: str
    title: str = ""
    voting: bool = True
    chair: bool = False
    joined: date | None = None
    email: str = ""
    errors: list[str] = field(default_factory=list)
    action: str = ""   # "create", "update", "unchanged" (set by preview)


def _normal(text) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip()


def _cells(data: bytes, filename: str) -> list[list]:
    """The file's rows as lists of cell values; Invalid with a clear message when unreadable."""
    if len(data) > MAX_BYTES:
        raise Invalid(_("Tệp quá lớn (tối đa %(n)s MB).") % {"n": MAX_BYTES // (1024 * 1024)}, field="file")
    if filename.lower().endswith(".xlsx"):
        try:
            from openpyxl import load_workbook

            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
            return [list(r) for r in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 1)]
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError):
            raise Invalid(_("Không đọc được tệp Excel (.xlsx): tệp bị hỏng hoặc không đúng định dạng."),
                          field="file") from None
    if filename.lower().endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Invalid(_("Tệp CSV phải lưu với bảng mã UTF-8."), field="file") from None
        return [r for r in csv.reader(io.StringIO(text))][:MAX_ROWS + 1]
    raise Invalid(_("Chỉ nhận tệp .xlsx hoặc .csv xuất từ cơ sở dữ liệu đảng viên."), field="file")


def _header(cells: list) -> dict[int, str]:
    found = {i: COLUMNS.get(_normal(c).lower()) for i, c in enumerate(cells)}
    found = {i: name for i, name in found.items() if name}
    missing = [label for label, name in COLUMNS.items() if name in REQUIRED and name not in found.values()]
    if missing:
        raise Invalid(_("Thiếu cột: %(cols)s. Dòng đầu tiên phải là tên các cột.")
                      % {"cols": ", ".join(m.capitalize() for m in missing)}, field="file")
    return found


def _date(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.strptime(_normal(value), "%d/%m/%Y").date()


def parse(data: bytes, filename: str) -> list[Row]:
    cells = _cells(data, filename)
    if not cells:
        raise Invalid(_("Tệp không có dữ liệu."), field="file")
    columns = _header(cells[0])
    rows, seen = [], {}
    for line, raw in enumerate(cells[1:], start=2):
        values = {name: raw[i] if i < len(raw) else None for i, name in columns.items()}
        if all(_normal(v) == "" for v in values.values()):
            continue  # blank lines at the end of an export
        row = Row(line=line, code=_normal(values.get("code")), name=_normal(values.get("name")))
        if not row.code:
            row.errors.append(_("thiếu mã đảng viên"))
        elif not _CODE.match(row.code):
            row.errors.append(_("mã đảng viên không hợp lệ"))
        elif row.code in seen:
            row.errors.append(_("trùng mã với dòng %(n)s") % {"n": seen[row.code]})
        else:
            seen[row.code] = line
        if not row.name:
            row.errors.append(_("thiếu họ và tên"))
        role = _normal(values.get("role")).lower() or "đảng viên"
        if role in ROLES:
            row.title, row.voting, row.chair = ROLES[role]
        else:
            row.errors.append(_("chức vụ không rõ: “%(r)s”") % {"r": _normal(values.get("role"))})
        try:
            row.joined = _date(values.get("joined"))
        except ValueError:
            row.errors.append(_("ngày vào Đảng không hợp lệ (cần dạng 31/12/1990)"))
        row.email = _normal(values.get("email"))
        if row.email:
            try:
                validate_email(row.email)
            except ValidationError:
                row.errors.append(_("email không hợp lệ"))
        rows.append(row)
    if sum(1 for r in rows if r.chair and not r.errors) > 1:
        for r in rows:
            if r.chair:
                r.errors.append(_("có nhiều hơn một Bí thư"))
    return rows


def _wanted(row: Row) -> dict:
    return {"title": row.title, "is_voting_member": row.voting, "is_chair": row.chair,
            "joined_party_on": row.joined, "is_active": True}


def preview(committee: Committee, rows: list[Row]) -> list[Row]:
    """Set each row's action from what the committee has now (nothing is written)."""
    existing = {m.member_code: m for m in Membership.objects.filter(committee=committee).exclude(member_code="")
                .select_related("user")}
    for row in rows:
        m = existing.get(row.code)
        if m is None:
            row.action = "create"
        else:
            same = all(getattr(m, k) == v for k, v in _wanted(row).items()) and m.user.first_name == row.name \
                and (not row.email or m.user.email == row.email)
            row.action = "unchanged" if same else "update"
    return rows


@transaction.atomic
def apply(*, actor, committee: Committee, rows: list[Row]) -> dict:
    """Every row or none. Returns counts and, for new accounts only, their one-time passwords."""
    bad = [r for r in rows if r.errors]
    if bad:
        raise Invalid(_("Tệp còn %(n)s dòng lỗi; sửa tệp rồi nhập lại (không có gì được ghi).") % {"n": len(bad)},
                      field="file")
    preview(committee, rows)
    users = get_user_model()
    created, updated, passwords = 0, 0, []
    for row in rows:
        if row.action == "unchanged":
            continue
        if row.action == "create":
            username = f"dv{row.code}".lower()
            user = users.objects.filter(username=username).first()
            if user is None:
                password = secrets.token_urlsafe(9)
                user = users.objects.create_user(username=username, password=password, first_name=row.name,
                                                 email=row.email)
                passwords.append({"code": row.code, "name": row.name, "username": username, "password": password})
            Membership.objects.update_or_create(committee=committee, user=user,
                                                defaults={"member_code": row.code, **_wanted(row)})
            created += 1
        else:
            m = Membership.objects.select_related("user").get(committee=committee, member_code=row.code)
            for k, v in _wanted(row).items():
                setattr(m, k, v)
            m.save()
            m.user.first_name = row.name
            if row.email:
                m.user.email = row.email
            m.user.save(update_fields=["first_name", "email"])
            updated += 1
    result = {"created": created, "updated": updated, "unchanged": len(rows) - created - updated}
    audit_record(actor=actor, action="members.imported", committee=committee, data=result)
    return {**result, "passwords": passwords}
