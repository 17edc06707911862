"""Daphne with this app's limits; every launcher uses it (Makefile, Procfile, tests, bench).

    python -m meetingroom.serve -b 127.0.0.1 -p 8000 meetingroom.asgi:application

Daphne's own WebSocket message limit is 1 MiB, and a larger message makes it drop the TCP
connection with no answer. The server limit is set far above the application's (WS_MAX_FRAME_BYTES,
16 KiB; the minutes socket 512 KiB), so an oversize frame up to SERVER_MAX_MESSAGE gets the
documented `too_large` error and the socket stays usable; beyond it the connection is closed with
1009 (message too big). See docs/protocol.md.

Output to a client that does not read is bounded too (BoundedWebSocketProtocol): Twisted buffers
whatever the kernel will not take, without limit. A socket whose unsent output passes
WS_MAX_BUFFERED_BYTES, or has not drained for WS_SLOW_READER_SECONDS, is closed with 4413; the
tablet reconnects and resumes by replay.

HTTP request bodies are capped as they arrive, before the app runs (meetingroom/bodycap.py).
Frames are written to the socket at once when nothing waits before them (meetingroom/eager_write.py).
"""
import os
import sys
import time

from daphne.cli import CommandLineInterface  # isort:skip  (installs the asyncio reactor first)
import daphne.http_protocol  # isort:skip
from daphne import ws_protocol  # isort:skip

from meetingroom import eager_write  # isort:skip
from meetingroom.bodycap import CappedWebRequest  # isort:skip

SERVER_MAX_MESSAGE = 8 * 1024 * 1024
SLOW_READER = 4413   # sessions.protocol.Close.SLOW_READER


class BoundedWebSocketProtocol(ws_protocol.WebSocketProtocol):
    max_buffered = int(os.environ.get("WS_MAX_BUFFERED_BYTES", 4 * 1024 * 1024))
    max_unread_seconds = float(os.environ.get("WS_SLOW_READER_SECONDS", 30))
    _drained_at: float | None = None
    _cut_off = False

    def serverSend(self, content, binary=False):
        if self._cut_off or self._too_slow():
            return   # nobody reads it: dropped here, the tablet catches up by replay
        super().serverSend(content, binary)

    def check_timeouts(self):   # Daphne calls this every 2 s for every connection
        super().check_timeouts()
        if self.state == self.STATE_OPEN and not self._cut_off:
            self._too_slow()

    def _unsent(self) -> int:
        t = self.transport
        try:
            return len(t.dataBuffer) - t.offset + t._tempDataLen
        except AttributeError:   # not a plain TCP transport: nothing to measure
            return 0

    def _too_slow(self) -> bool:
        unsent, now = self._unsent(), time.monotonic()
        if unsent == 0:
            self._drained_at = now
            return False
        if self._drained_at is None:
            self._drained_at = now
        if unsent <= self.max_buffered and now - self._drained_at <= self.max_unread_seconds:
            return False
        self._cut_off = True
        self.sendClose(code=SLOW_READER, reason="slow reader")
        # The close frame waits behind the unread output; if it is still not read, free it all.
        from twisted.internet import reactor

        reactor.callLater(2, self._abort)
        return True

    def _abort(self):
        if self.transport is not None and self.state != self.STATE_CLOSED:
            self.transport.abortConnection()


def main(argv: list[str] | None = None) -> None:
    ws_protocol.WebSocketFactory.protocol = BoundedWebSocketProtocol
    args = list(sys.argv[1:] if argv is None else argv)
    if not any(a.startswith("--websocket-max-message-size") for a in args):
        args = ["--websocket-max-message-size", str(SERVER_MAX_MESSAGE),
                "--websocket-max-frame-size", str(SERVER_MAX_MESSAGE), *args]
    # Daphne's factory builds each request from this module global.
    daphne.http_protocol.WebRequest = CappedWebRequest
    eager_write.install()   # write frames at once, as asyncio's transports do
    CommandLineInterface().run(args)


if __name__ == "__main__":
    main()
