"""A person's own notice preferences. The page has no user id: nobody can reach anyone else's."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from notifications import registry, services


@login_required
def preferences(request):
    status = 200
    if request.method == "POST":
        chosen = set(request.POST.getlist("email"))
        if chosen - set(registry.KINDS):
            status = 400
            messages.error(request, _("Loại thông báo không hợp lệ."))
        else:
            services.preferences_set(actor=request.user, email_kinds=chosen)
            messages.success(request, _("Đã lưu lựa chọn nhận thông báo."))
            return redirect("notice_preferences")
    current = services.preferences_of(request.user)
    rows = [{"code": code, "label": kind.label, "on": current[code]} for code, kind in registry.KINDS.items()]
    return render(request, "notifications/preferences.html",
                  {"rows": rows, "email": (request.user.email or "").strip()}, status=status)
