"""Write to a TCP socket at once when nothing is waiting before it (Daphne's Twisted transport).

Twisted's `FileDescriptor.write` never writes: it buffers and asks the reactor to call back when
the socket is writable, so every frame costs registering and unregistering a writer (two
`epoll_ctl` calls and selector bookkeeping through the asyncio reactor) and a loop turn. With an
event going to 1,000 tablets that was most of a process's fan-out time (docs/decisions-bench.md,
"Eager writes"). asyncio's own transports, and so the bare `websockets` baseline, try `send()`
first and only wait for writability when the kernel's buffer is full; this does the same:

- nothing buffered before it (and the connection open): `send()` now; whatever the kernel does
  not take is buffered the usual way, so order is kept and a slow reader's backlog is measured
  as before (meetingroom.serve.BoundedWebSocketProtocol);
- anything else (data already waiting, a connection closing, TLS started on the connection itself,
  a send error): Twisted's own path, which also reports errors and closes as usual.
Off with EAGER_SOCKET_WRITES=0.
"""
import os

from twisted.internet import tcp

_buffered_write = tcp.Connection.write


def _eager_write(self, data: bytes) -> None:
    if (data and not self.TLS and self.connected and not self.disconnecting and not self._writeDisconnected
            and not self._tempDataLen and self.offset == len(self.dataBuffer)):
        try:
            sent = self.socket.send(data)
        except BlockingIOError:
            sent = 0
        except OSError:
            sent = 0   # let Twisted's write path meet the error and close the connection its way
        if sent == len(data):
            return
        data = data[sent:]
    _buffered_write(self, data)


def install() -> None:
    if os.environ.get("EAGER_SOCKET_WRITES", "1") != "0":
        tcp.Connection.write = _eager_write
