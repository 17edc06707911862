"""meetingroom.eager_write: frames leave at once when nothing waits before them, and order and
back-pressure are Twisted's as soon as the kernel's buffer is full. Real sockets, real Twisted."""
import socket

import pytest
from twisted.internet import tcp
from twisted.internet.protocol import Protocol

from meetingroom import eager_write

pytestmark = pytest.mark.smoke


class Reactor:
    """Just what a Connection asks of its reactor here: it records writer registrations."""

    def __init__(self):
        self.writers = []

    def addWriter(self, fd):          # a set, as in a real reactor
        if fd not in self.writers:
            self.writers.append(fd)

    def removeWriter(self, fd):
        if fd in self.writers:
            self.writers.remove(fd)

    def addReader(self, fd):
        pass

    def removeReader(self, fd):
        pass


@pytest.fixture
def pair(monkeypatch):
    monkeypatch.setattr(tcp.Connection, "write", tcp.Connection.write)   # restored afterwards
    eager_write.install()
    ours, theirs = socket.socketpair()
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    conn = tcp.Connection(ours, Protocol(), reactor=Reactor())
    conn.connected = True
    yield conn, theirs
    ours.close()
    theirs.close()


def read_all(sock) -> bytes:
    sock.setblocking(False)
    out = b""
    while True:
        try:
            chunk = sock.recv(1 << 20)
        except BlockingIOError:
            return out
        if not chunk:
            return out
        out += chunk


def test_a_frame_is_sent_at_once_without_waiting_for_the_reactor(pair):
    conn, peer = pair
    conn.write(b"frame 1")
    conn.write(b"frame 2")
    assert read_all(peer) == b"frame 1frame 2"
    assert conn.reactor.writers == [] and conn._tempDataLen == 0


def test_when_the_kernel_is_full_the_rest_waits_in_order_and_counts_as_unsent(pair):
    conn, peer = pair
    big = bytes(range(256)) * 4096            # 1 MiB: more than the socket buffers take
    conn.write(big)
    conn.write(b"after")                      # must not overtake what is waiting
    unsent = len(conn.dataBuffer) - conn.offset + conn._tempDataLen
    assert unsent > 0 and conn.reactor.writers == [conn]   # measured like before (slow readers)
    received = b""
    while conn.reactor.writers or len(received) < len(big) + 5:
        received += read_all(peer)
        if conn.reactor.writers:
            conn.doWrite()   # what the reactor does when the socket is writable (stops when all is sent)
    assert received == big + b"after"


def test_it_can_be_switched_off(monkeypatch):
    monkeypatch.setattr(tcp.Connection, "write", tcp.Connection.write)
    before = tcp.Connection.write
    monkeypatch.setenv("EAGER_SOCKET_WRITES", "0")
    eager_write.install()
    assert tcp.Connection.write is before
