"""Importing a committee's members from the Party member database (sessions/member_import.py).

Step 1 uploads the file and shows the preview with every row's errors; step 2 posts the same rows
back (signed by the server, so they cannot be altered in between) and applies them in one
transaction. Only the committee's administrator may do it (Action.MANAGE_COMMITTEE).
"""
import dataclasses
from datetime import date

from django.contrib.auth.decorators import login_required
from django.core import signing
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sessions import member_import, policy
from sessions.errors import DomainError, Invalid
from sessions.models import Committee
from sessions.policy import Action

_SALT = "members-import"


def _dump(rows) -> str:
    return signing.dumps([{**dataclasses.asdict(r), "joined": r.joined.isoformat() if r.joined else None}
                          for r in rows], salt=_SALT, compress=True)


def _load(token: str):
    try:
        raw = signing.loads(token, salt=_SALT, max_age=3600)
    except signing.BadSignature:
        raise Invalid(_("Bản xem trước đã hết hạn hoặc bị sửa; hãy tải tệp lên lại."), field="file") from None
    return [member_import.Row(**{**r, "joined": date.fromisoformat(r["joined"]) if r["joined"] else None})
            for r in raw]


@login_required
@require_http_methods(["GET", "POST"])
def members_import(request, committee_id: int):
    committee = get_object_or_404(Committee, pk=committee_id)
    if not policy.can(request.user, Action.MANAGE_COMMITTEE, committee):
        return render(request, "minutes/error.html", {"message": _("Chỉ quản trị của tổ chức được nhập danh sách.")},
                      status=403)
    context, status = {"committee": committee}, 200
    try:
        if request.method == "POST" and request.POST.get("op") == "apply":
            rows = _load(request.POST.get("rows", ""))
            context["result"] = member_import.apply(actor=request.user, committee=committee, rows=rows)
        elif request.method == "POST":
            upload = request.FILES.get("file")
            if upload is None:
                raise Invalid(_("Chọn tệp .xlsx hoặc .csv để nhập."), field="file")
            if upload.size > member_import.MAX_BYTES:
                raise Invalid(_("Tệp quá lớn (tối đa %(n)s MB).") % {"n": member_import.MAX_BYTES // (1024 * 1024)},
                              field="file")
            rows = member_import.preview(committee, member_import.parse(upload.read(), upload.name))
            context.update(rows=rows, bad=[r for r in rows if r.errors], token=_dump(rows),
                           counts={a: sum(1 for r in rows if r.action == a and not r.errors)
                                   for a in ("create", "update", "unchanged")})
    except DomainError as e:
        context["error"], status = e.message, e.http_status
    return render(request, "frontend/prepare/members_import.html", context, status=status)
