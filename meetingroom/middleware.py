"""Vietnamese first: the browser's language never picks the interface language, only the user's choice does."""


class IgnoreBrowserLanguage:
    """Drop Accept-Language before LocaleMiddleware: an English-language tablet bought abroad still
    shows Vietnamese; a language chosen with the switcher is kept in its cookie and wins."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
