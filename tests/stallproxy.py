"""A loopback TCP proxy that can stop forwarding without closing anything: a hung Wi-Fi link.

Playwright's offline mode does not stall an open WebSocket, and closing a socket is not what a
weak link does: the connection stays up and bytes simply stop arriving. Here each direction
holds what it has read until resumed (TCP backpressure does the rest), and new connections are
accepted but get nowhere while stalled.
"""
import socket
import threading
import time

from tests.servers import free_port


class StallProxy:
    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = free_port()
        self._up = threading.Event()     # set: client → server forwarding is stalled
        self._down = threading.Event()   # set: server → client forwarding is stalled
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "StallProxy":
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stall(self, *, up: bool = True, down: bool = True) -> None:
        if up:
            self._up.set()
        if down:
            self._down.set()

    def resume(self) -> None:
        self._up.clear()
        self._down.clear()

    def stop(self) -> None:
        self.resume()
        for s in [self._listener, *self._sockets]:
            try:
                s.close()
            except OSError:
                pass

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, self._up), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, self._down), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket, stalled: threading.Event) -> None:
        try:
            while True:
                data = src.recv(65536)
                while stalled.is_set():
                    time.sleep(0.02)   # hold the bytes: the link is up, nothing gets through
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
