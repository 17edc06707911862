"""Daphne with this app's limits; every launcher uses it (Makefile, Procfile, tests, bench).

    python -m meetingroom.serve -b 127.0.0.1 -p 8000 meetingroom.asgi:application

Daphne's own WebSocket message limit is 1 MiB, and a larger message makes it drop the TCP
connection with no answer. The server limit is set far above the application's (WS_MAX_FRAME_BYTES,
16 KiB; the minutes socket 512 KiB), so an oversize frame up to SERVER_MAX_MESSAGE gets the
documented `too_large` error and the socket stays usable; beyond it the connection is closed with
1009 (message too big). See docs/protocol.md.

HTTP request bodies are capped as they arrive, before the app runs (meetingroom/bodycap.py).
"""
import sys

import daphne.http_protocol
from daphne.cli import CommandLineInterface

from meetingroom.bodycap import CappedWebRequest

SERVER_MAX_MESSAGE = 8 * 1024 * 1024


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not any(a.startswith("--websocket-max-message-size") for a in args):
        args = ["--websocket-max-message-size", str(SERVER_MAX_MESSAGE),
                "--websocket-max-frame-size", str(SERVER_MAX_MESSAGE), *args]
    # Daphne's factory builds each request from this module global.
    daphne.http_protocol.WebRequest = CappedWebRequest
    CommandLineInterface().run(args)


if __name__ == "__main__":
    main()
