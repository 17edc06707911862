"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for the notice tests."""
import email
import email.policy
import threading

from aiosmtpd.controller import Controller

from tests.servers import free_port


class _Keep:
    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


class SmtpServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self._keep = _Keep()
        self._controller: Controller | None = None

    def start(self) -> "SmtpServer":
        self._controller = Controller(self._keep, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list:
        with self._keep.lock:
            return list(self._keep.messages)

    def to(self, address: str) -> list:
        return [m for rcpt, m in self.messages if address in rcpt]
