"""Sign-in that forgives how a username was typed on a tablet keyboard: spaces and capitals."""
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class ForgivingUsernameBackend(ModelBackend):
    """`  BiThu ` signs in as `bithu`. Two accounts that differ only in case are never guessed between
    (each still signs in when typed exactly)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        field = User.USERNAME_FIELD
        typed = username.strip()
        matches = list(User._default_manager.filter(**{field: typed})[:1]) or list(
            User._default_manager.filter(**{f"{field}__iexact": typed})[:2])
        if len(matches) != 1:
            User().set_password(password)  # same time spent as for a real account (Django does the same)
            return None
        user = matches[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def login_name(request, credentials=None) -> str:
    """The name sign-in throttling counts (settings.AXES_USERNAME_CALLABLE): as this backend reads it,
    so ` Alice` and `alice` share one counter and cannot be alternated to get more attempts."""
    typed = (credentials or {}).get("username")
    if typed is None and request is not None:
        typed = request.POST.get("username")
    return (typed or "").strip().lower()


def locked_out(request, *args, **kwargs):
    """The sign-in page again, with why and for how long (settings.AXES_LOCKOUT_CALLABLE), status 429."""
    from django.conf import settings
    from django.contrib.auth.forms import AuthenticationForm
    from django.shortcuts import render
    from django.utils.translation import gettext as _

    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})
    message = _("Đăng nhập sai quá %(n)d lần. Tài khoản này tạm khóa trên thiết bị này trong %(m)d phút; "
                "vui lòng thử lại sau hoặc liên hệ văn phòng.") % {"n": settings.AXES_FAILURE_LIMIT, "m": minutes}
    return render(request, "registration/login.html", {"form": form, "locked_message": message}, status=429)
