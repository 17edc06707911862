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
