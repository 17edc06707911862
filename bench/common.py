"""Shared helpers for the benchmarks: a throw-away database, bulk people, servers, many clients.

Nothing here is imported by the application. The client side (`worker_main`, `Client`) needs only
asyncio and `websockets`, so it can run in spawned worker processes without Django.
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432"
DEFAULT_REDIS = "redis://127.0.0.1:6379/8"
PROTECTED_REDIS_DBS = {0, 1}  # other people's data: never flushed by a benchmark


# --- process limits -----------------------------------------------------------------------------

def raise_nofile(wanted: int) -> int:
    """Raise the soft open-files limit towards `wanted` (capped by the hard limit); return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(max(soft, wanted), hard if hard != resource.RLIM_INFINITY else wanted)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


# --- database and Django ------------------------------------------------------------------------

def recreate_database(pg_url: str, name: str) -> str:
    """Drop and create `name` on the server of pg_url; return the DATABASE_URL of the new one."""
    import psycopg

    if not name.startswith("mr_bench"):
        raise ValueError("benchmark databases are named mr_bench*: refusing to drop " + name)
    with psycopg.connect(pg_url.rstrip("/") + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return pg_url.rstrip("/") + "/" + name


def flush_redis(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    db = client.connection_pool.connection_kwargs.get("db", 0)
    if int(db) in PROTECTED_REDIS_DBS:
        raise ValueError(f"refusing to flush Redis db {db}: pick a db of your own (e.g. /8)")
    client.flushdb()
    client.close()


def setup_django(database_url: str, redis_url: str, var_dir: str, **extra_env: str) -> None:
    """Point this process (and the Daphne children, via tests.servers.server_env) at the bench DB."""
    os.environ.update({
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "MEETINGROOM_VAR_DIR": var_dir,
        "FAST_PASSWORD_HASHER_FOR_TESTS": "1", "DJANGO_SETTINGS_MODULE": "meetingroom.settings",
        **extra_env,
    })
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


@dataclass
class Population:
    committee: object
    chair: object
    secretary: object
    members: list
    member_cookies: list[str]          # one signed-in session per member
    chair_cookies: list[str] = field(default_factory=list)


def bulk_users(prefix: str, n: int) -> list:
    """n users with an unusable password (no hashing cost), created in one statement."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    users = [User(username=f"{prefix}{i:05d}", first_name=f"Đảng viên {prefix}{i}", password="!bench")
             for i in range(n)]
    return User.objects.bulk_create(users, batch_size=1000)


def bulk_sessions(users: list) -> list[str]:
    """One signed-in Django session per user, exactly as django.contrib.auth.login would store it."""
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    store = SessionStore()
    expire = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    rows = []
    for user in users:
        data = {SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                HASH_SESSION_KEY: user.get_session_auth_hash()}
        rows.append(Session(session_key=get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789"),
                            session_data=store.encode(data), expire_date=expire))
    Session.objects.bulk_create(rows, batch_size=1000)
    return [r.session_key for r in rows]


def make_committee(name: str, n_members: int, *, prefix: str, items: int = 3, chair_sessions: int = 1,
                   open_meeting: bool = True):
    """A committee with a chair, a secretary and n members (bulk), and one meeting (opened)."""

    from django.utils import timezone

    from sessions import services
    from sessions.models import AgendaItem, Committee, Membership

    committee = Committee.objects.create(name=name, place_name="Hà Nội")
    chair, secretary, *members = bulk_users(prefix, n_members + 2)
    Membership.objects.bulk_create(
        [Membership(committee=committee, user=chair, is_chair=True, title="Bí thư"),
         Membership(committee=committee, user=secretary, is_secretary=True)]
        + [Membership(committee=committee, user=m) for m in members], batch_size=1000)
    meeting = services.meeting_create(
        actor=secretary, committee=committee, title="Họp định kỳ (đo tải)", starts_at=timezone.now(),
        place="Hội trường", chair=chair, secretary=secretary)
    AgendaItem.objects.bulk_create(
        [AgendaItem(meeting=meeting, position=i, title=f"Nội dung {i + 1}", planned_minutes=5) for i in range(items)])
    services.meeting_publish(actor=secretary, meeting=meeting)
    if open_meeting:
        services.meeting_open(actor=chair, meeting=meeting)
    meeting.refresh_from_db()
    pop = Population(committee=committee, chair=chair, secretary=secretary, members=members,
                     member_cookies=bulk_sessions(members), chair_cookies=bulk_sessions([chair] * chair_sessions))
    return meeting, pop


def agenda_ids(meeting) -> list[int]:
    from sessions.models import AgendaItem

    return list(AgendaItem.objects.filter(meeting=meeting, parent=None).order_by("position", "id")
                .values_list("id", flat=True))


def start_daphnes(count: int, **env) -> list:
    """`count` Daphne processes on the configured DB/Redis (tests.servers.DaphneServer)."""
    from tests.servers import DaphneServer

    servers = []
    try:
        for _ in range(count):
            servers.append(DaphneServer(**env).start(timeout=60))
    except Exception:
        for s in servers:
            s.stop()
        raise
    return servers


# --- statistics ---------------------------------------------------------------------------------

def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by these processes (Linux /proc): unlike wall time, it
    barely moves when other work shares the machine, so it compares runs on a busy machine."""
    total = 0
    for pid in set(pids):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue   # gone meanwhile
        total += int(fields[11]) + int(fields[12])   # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def pids_named(name: str) -> list[int]:
    """Every process whose command name is `name` (e.g. "postgres": the server and its backends)."""
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "comm").read_text().strip() == name:
                    pids.append(int(d.name))
            except OSError:
                continue
    return pids


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list (p in 0..100)."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(-(-p * len(sorted_values) // 100)) - 1))
    return sorted_values[k]


def summarize_ms(latencies_s: list[float]) -> dict:
    values = sorted(v * 1000 for v in latencies_s)
    if not values:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None, "mean": None}
    return {"n": len(values), "p50": round(percentile(values, 50), 2), "p95": round(percentile(values, 95), 2),
            "p99": round(percentile(values, 99), 2), "max": round(values[-1], 2),
            "mean": round(statistics.fmean(values), 2)}


# --- the client side (runs in worker processes, no Django) -------------------------------------

class Client:
    """One tablet: hello, then records every event frame (seq, wall-clock receipt time).

    Checks order on the fly: a frame whose seq is not last+1 is counted as a gap (seq jumped) or
    a repeat (seq not above the last one). Presence frames are counted but not parsed (they are
    the largest frames and irrelevant to the measurement).
    """

    __slots__ = ("url", "cookie", "origin", "meeting_id", "ws", "seq", "base_seq", "events", "gaps",
                 "repeats", "frames", "busy_frames", "error", "ready", "synced_at", "retries", "reconnects")

    def __init__(self, url: str, cookie: str | None, origin: str, meeting_id: int):
        self.url, self.cookie, self.origin, self.meeting_id = url, cookie, origin, meeting_id
        self.ws = None
        self.seq = self.base_seq = -1
        self.events: list[tuple[int, float]] = []
        self.gaps = self.repeats = self.frames = self.busy_frames = 0  # busy: all but heartbeats
        self.error: str | None = None
        self.ready = asyncio.Event()
        self.synced_at = 0.0
        self.retries = self.reconnects = 0

    async def run(self, connect_sem: asyncio.Semaphore, attempts: int = 30):
        """Connect, hello, receive; on a refused or dropped connection retry like a tablet would:
        back off, reconnect and say hello with the last seq held (the server replays the rest)."""
        import websockets

        headers = {"Origin": self.origin}
        if self.cookie:
            headers["Cookie"] = f"sessionid={self.cookie}"
        failures = 0
        while True:
            try:
                async with connect_sem:
                    self.ws = await websockets.connect(self.url, additional_headers=headers, max_size=2**24,
                                                       open_timeout=60, ping_interval=None, close_timeout=1)
                    hello = {"protocol": 1}
                    if self.seq >= 0:
                        hello["last_seq"] = self.seq
                    await self.ws.send(json.dumps({"type": "hello", "id": 1, "content": hello}))
                    while not self.ready.is_set():
                        self._on_frame(await asyncio.wait_for(self.ws.recv(), 60))
                async for text in self.ws:
                    self._on_frame(text)
                raise ConnectionError("closed by the server")
            except asyncio.CancelledError:
                raise
            except Exception as e:
                failures += 1
                if self.ready.is_set():
                    self.reconnects += 1
                else:
                    self.retries += 1
                if failures >= attempts or self.error is not None:
                    self.error = self.error or f"{type(e).__name__}: {e}"[:300]
                    self.ready.set()
                    return
                await asyncio.sleep(min(5.0, 0.25 * 2 ** min(failures, 5)) * (0.5 + random.random()))

    def _on_frame(self, text: str):
        now = time.time()
        self.frames += 1
        if text.startswith('{"type":"heartbeat"'):
            return
        self.busy_frames += 1
        if text.startswith('{"type":"presence"'):
            return
        msg = json.loads(text)
        kind = msg.get("type")
        if kind == "event":
            seq = msg["content"]["seq"]
            if seq == self.seq + 1:
                self.events.append((seq, now))
                self.seq = seq
            elif seq <= self.seq:
                self.repeats += 1
            else:
                self.gaps += 1
                self.events.append((seq, now))
                self.seq = seq
        elif kind in ("snapshot", "synced"):
            if kind == "snapshot" and self.base_seq >= 0 and msg["content"]["seq"] != self.seq:
                self.gaps += 1  # a reconnect that needed a snapshot: events in between were skipped
            self.seq = msg["content"]["seq"]
            if self.base_seq < 0:
                self.base_seq = self.seq
            self.synced_at = now
            self.ready.set()
        elif kind == "error":
            self.error = f"error frame: {msg['content']}"[:300]
            self.ready.set()

    def result(self) -> dict:
        return {"meeting_id": self.meeting_id, "base_seq": self.base_seq, "events": self.events,
                "gaps": self.gaps, "repeats": self.repeats, "frames": self.frames, "error": self.error,
                "retries": self.retries, "reconnects": self.reconnects}


async def _worker(conn, specs: list[dict], connect_concurrency: int):
    loop = asyncio.get_running_loop()
    sem = asyncio.Semaphore(connect_concurrency)
    clients = [Client(s["url"], s.get("cookie"), s["origin"], s["meeting_id"]) for s in specs]
    started = time.time()
    tasks = [asyncio.create_task(c.run(sem)) for c in clients]
    await asyncio.gather(*(c.ready.wait() for c in clients))
    failed = [c.error for c in clients if c.error]
    conn.send(("ready", {"connected": len(clients) - len(failed), "failed": len(failed),
                         "errors": failed[:5], "seconds": round(time.time() - started, 2),
                         "retries": sum(c.retries for c in clients)}))
    while True:
        cmd, arg = await loop.run_in_executor(None, conn.recv)
        if cmd == "stats":
            conn.send(("stats", {"frames": sum(c.busy_frames for c in clients)}))
        elif cmd == "collect":
            targets, timeout = arg
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and any(
                    c.error is None and c.seq < targets.get(c.meeting_id, 0) for c in clients):
                await asyncio.sleep(0.05)
            conn.send(("results", [c.result() for c in clients]))
        elif cmd == "close":
            for t in tasks:
                t.cancel()
            await asyncio.gather(*(c.ws.close() for c in clients if c.ws is not None), return_exceptions=True)
            await asyncio.gather(*tasks, return_exceptions=True)
            conn.send(("closed", None))
            return


def worker_main(conn, specs: list[dict], connect_concurrency: int = 8, nofile: int = 8192):
    raise_nofile(nofile)
    asyncio.run(_worker(conn, specs, connect_concurrency))


class Workers:
    """Client worker processes (spawned, so they share nothing with Django in the parent)."""

    def __init__(self, specs: list[dict], processes: int, connect_concurrency: int = 8):
        import multiprocessing as mp

        ctx = mp.get_context("spawn")
        self.conns, self.procs = [], []
        chunks = [specs[i::processes] for i in range(processes)]
        for chunk in chunks:
            parent, child = ctx.Pipe()
            p = ctx.Process(target=worker_main, args=(child, chunk, connect_concurrency, len(chunk) * 2 + 256),
                            daemon=True)
            p.start()
            self.conns.append(parent)
            self.procs.append(p)

    async def _ask(self, conn, cmd, arg=None, expect=None):
        loop = asyncio.get_running_loop()
        if cmd is not None:
            conn.send((cmd, arg))
        kind, payload = await loop.run_in_executor(None, conn.recv)
        if expect and kind != expect:
            raise RuntimeError(f"worker answered {kind}, expected {expect}")
        return payload

    async def ready(self) -> dict:
        answers = await asyncio.gather(*(self._ask(c, None, expect="ready") for c in self.conns))
        return {"connected": sum(a["connected"] for a in answers), "failed": sum(a["failed"] for a in answers),
                "errors": [e for a in answers for e in a["errors"]][:5],
                "seconds": max(a["seconds"] for a in answers), "retries": sum(a["retries"] for a in answers)}

    async def frames(self) -> int:
        answers = await asyncio.gather(*(self._ask(c, "stats", expect="stats") for c in self.conns))
        return sum(a["frames"] for a in answers)

    async def quiesce(self, quiet: float = 1.0, limit: float = 120) -> float:
        """Wait until no client receives anything but heartbeats for `quiet` s (e.g. the presence storm)."""
        started = time.monotonic()
        last = await self.frames()
        while time.monotonic() - started < limit:
            await asyncio.sleep(quiet)
            now = await self.frames()
            if now == last:
                break
            last = now
        return time.monotonic() - started

    async def collect(self, targets: dict[int, int], timeout: float = 30) -> list[dict]:
        answers = await asyncio.gather(*(self._ask(c, "collect", (targets, timeout), expect="results")
                                         for c in self.conns))
        return [r for a in answers for r in a]

    async def close(self):
        try:
            await asyncio.wait_for(asyncio.gather(*(self._ask(c, "close", expect="closed") for c in self.conns)), 20)
        except Exception:
            pass
        for p in self.procs:
            p.join(5)
            if p.is_alive():
                p.kill()


# --- the controlling socket (chair) -------------------------------------------------------------

class Controller:
    """A socket that sends actions and notes when its own request's event comes back."""

    def __init__(self, ws):
        self.ws = ws
        self.replies: dict = {}
        self.events: dict[int, dict] = {}   # seq → event content (with "at")
        self.waiters: dict = {}
        self.next_id = 0
        self.reader = asyncio.create_task(self._read())
        self.seq = -1

    @classmethod
    async def connect(cls, url: str, cookie: str | None, origin: str, hello: bool = True,
                      attempts: int = 10) -> "Controller":
        import websockets

        headers = {"Origin": origin}
        if cookie:
            headers["Cookie"] = f"sessionid={cookie}"
        for attempt in range(attempts):
            try:
                ws = await websockets.connect(url, additional_headers=headers, max_size=2**24, open_timeout=60,
                                              ping_interval=None)
                self = cls(ws)
                if hello:
                    reply = await self.request("hello", {"protocol": 1})
                    self.seq = reply["content"]["seq"]
                return self
            except (OSError, ConnectionError, asyncio.TimeoutError, websockets.exceptions.WebSocketException):
                # A busy server drops handshakes it cannot accept within daphne's connect timeout.
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(min(5.0, 0.25 * 2 ** attempt) * (0.5 + random.random()))

    async def _read(self):
        try:
            async for text in self.ws:
                now = time.time()
                if text.startswith('{"type":"presence"') or text.startswith('{"type":"heartbeat"'):
                    continue
                msg = json.loads(text)
                if msg.get("type") == "event":
                    content = msg["content"]
                    content["_recv"] = now
                    self.events[content["seq"]] = content
                    self.seq = max(self.seq, content["seq"])
                rid = msg.get("in_response")
                if rid is not None and rid in self.waiters:
                    msg["_recv"] = now
                    self.waiters.pop(rid).set_result(msg)
        except Exception:
            pass
        for fut in self.waiters.values():
            if not fut.done():
                fut.set_exception(ConnectionError("controller socket closed"))

    async def send(self, type: str, content: dict) -> asyncio.Future:
        self.next_id += 1
        fut = asyncio.get_running_loop().create_future()
        self.waiters[self.next_id] = fut
        await self.ws.send(json.dumps({"type": type, "id": self.next_id, "content": content}))
        return fut

    async def request(self, type: str, content: dict, timeout: float = 30) -> dict:
        return await asyncio.wait_for(await self.send(type, content), timeout)

    async def close(self):
        self.reader.cancel()
        await self.ws.close()


# --- the bare baseline server -------------------------------------------------------------------

async def _bare_server(port: int):
    """Plain `websockets` broadcast: clients get a snapshot on hello; /control triggers a broadcast.

    The broadcast frame has the same envelope and size as our agenda.current event frame.
    """
    import datetime

    from websockets.asyncio.server import broadcast, serve

    clients: set = set()

    async def handle(ws):
        if ws.request.path == "/control":
            async for text in ws:
                msg = json.loads(text)
                seq = msg["content"]["seq"]
                at = datetime.datetime.now(datetime.timezone.utc).isoformat()
                event = {"type": "event", "content": {"seq": seq, "type": "agenda.current",
                                                      "data": {"patch": {"current_item": msg["content"]["item"]},
                                                               "actor_id": None}, "at": at}}
                text_out = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
                broadcast(clients, text_out)
                await ws.send(json.dumps({"type": "ok", "content": {}, "in_response": msg["id"]}))
                await ws.send(text_out)
            return
        async for text in ws:
            msg = json.loads(text)
            if msg.get("type") == "hello":
                await ws.send(json.dumps({"type": "snapshot", "content": {"seq": 0}, "in_response": msg.get("id")}))
                clients.add(ws)
        clients.discard(ws)

    async with serve(handle, "127.0.0.1", port, max_size=2**24, ping_interval=None, backlog=4096):
        await asyncio.Future()


def start_bare_server(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "bare-server", str(port)], cwd=ROOT)
    wait_port(port)
    return proc


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "bare-server":
    raise_nofile(65536)
    asyncio.run(_bare_server(int(sys.argv[2])))
