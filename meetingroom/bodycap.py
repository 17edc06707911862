"""Request bodies are capped while they arrive, before the app (and so before authentication) runs.

Twisted, under Daphne, buffers a whole request body into a temporary file before Django sees the
request: a 60 MB anonymous POST used to be read in full before the 401. This request class checks
the declared Content-Length as soon as the headers are in (and counts the bytes of a chunked body
as they come), answers 413 with a short message and stops taking the body: what is already on its
way is dropped (at most LINGER_BYTES, for LINGER_SECONDS, so that closing does not reset the
connection before the client has read the answer), then the connection is cut.

Two caps: requests without a session cookie (the sign-in form, the language switch) need very
little; a signed-in upload keeps its documented limit (DOCUMENT_MAX_BYTES) plus room for the form.
The session itself is checked later by Django: a forged cookie only reaches the larger cap.
"""
from daphne.http_protocol import WebRequest
from twisted.internet import reactor
from django.conf import settings
from django.utils.translation import gettext

LINGER_BYTES = 1024 * 1024
LINGER_SECONDS = 2


def body_limit(has_session_cookie: bool) -> int:
    return settings.REQUEST_MAX_BYTES if has_session_cookie else settings.ANONYMOUS_REQUEST_MAX_BYTES


class CappedWebRequest(WebRequest):
    refused = False
    received = 0
    dropped = 0

    def gotLength(self, length):
        self.limit = body_limit(settings.SESSION_COOKIE_NAME.encode() in self.received_cookies)
        if length is not None and length > self.limit:
            super().gotLength(0)
            self.requestHeaders.removeHeader(b"Expect")  # no "100 Continue" after our answer
            self._refuse()
            return
        super().gotLength(length)

    def handleContentChunk(self, data):
        if self.refused:
            self.dropped += len(data)
            if self.dropped > LINGER_BYTES:
                self._cut()
            return
        self.received += len(data)
        if self.received > self.limit:  # a chunked body has no Content-Length to check first
            self._refuse()
            return
        super().handleContentChunk(data)

    def _refuse(self):
        self.refused = True
        size = f"{self.limit // 2**20} MB" if self.limit >= 2**20 else f"{self.limit // 1024} KB"
        body = (gettext("Yêu cầu quá lớn (tối đa %(size)s).") % {"size": size} + "\n").encode()
        head = (b"HTTP/1.1 413 Content Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body))
        transport = self.channel.transport
        transport.write(head + body)
        transport.loseWriteConnection()  # the answer, then end of stream: the client can read it
        reactor.callLater(LINGER_SECONDS, self._cut)

    def _cut(self):
        transport = self.channel.transport if self.channel else None
        if transport is not None and transport.connected:
            transport.abortConnection()
