"""HTML pages that call services: a refusal (sessions.errors.DomainError) becomes an error page with
its message and HTTP status, never a traceback. One wrapper for every app's server-rendered pages."""
import functools

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from sessions.errors import DomainError


def page_view(template: str, errors: tuple[type[DomainError], ...] = (DomainError,)):
    """Decorator: signed-in users only; `errors` raised by the view render `template`."""
    def decorate(view):
        @functools.wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except errors as e:
                return render(request, template, {"message": e.message}, status=e.http_status)
        return wrapper
    return decorate
