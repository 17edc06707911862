"""Per-socket limits on incoming frames, shared by every WebSocket consumer."""
import time

from django.conf import settings


class TokenBucket:
    def __init__(self, rate: float, burst: float):
        self.rate, self.capacity, self.tokens, self.at = rate, burst, burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class FrameLimits:
    """`frames`: every frame (WS_RATE_PER_SECOND, burst 2×). `strikes`: errors, allowed at a
    quarter of that rate; a client that keeps sending garbage is cut off (close 4429)."""

    def __init__(self, rate: float | None = None):
        rate = rate or settings.WS_RATE_PER_SECOND
        self.frames = TokenBucket(rate, rate * 2)
        self.strikes = TokenBucket(rate / 4, rate)
