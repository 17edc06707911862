"""The ASGI servers a benchmark can put under the same app, and nginx in front of them.

Every server runs `meetingroom.asgi:application` as ONE process on its own loopback port, so
`--processes N` means N processes for each kind and the clients are spread over them the same way:

- daphne:  `python -m meetingroom.serve` (what the Procfile runs: Daphne with this app's limits,
  the slow-reader cut-off and the body cap; see meetingroom/serve.py);
- uvicorn: uvloop, httptools, the `websockets` WebSocket implementation, no access log, no
  lifespan (Channels' router has none), no per-connection log lines (Daphne writes none either),
  message limit set to the one serve.py gives Daphne;
- granian: the ASGI interface without lifespan (`asginl`, same reason), uvloop, 1 worker (Granian
  runs it in a child process: the one to profile is `worker_pid`).

None of these is a runtime dependency: uvicorn[standard] and granian are in the `bench` extra.
"""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from bench.common import cpu_seconds, free_port, wait_port
from tests.servers import DaphneServer

SERVERS = ("daphne", "uvicorn", "granian")
APP = "meetingroom.asgi:application"
SERVER_MAX_MESSAGE = 8 * 1024 * 1024  # meetingroom.serve.SERVER_MAX_MESSAGE (not imported: it loads Twisted)


def command(kind: str, port: int) -> list[str]:
    py = sys.executable
    if kind == "daphne":
        return [py, "-m", "meetingroom.serve", "-b", "127.0.0.1", "-p", str(port), APP]
    if kind == "uvicorn":
        return [py, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port), "--loop", "uvloop",
                "--http", "httptools", "--ws", "websockets", "--ws-max-size", str(SERVER_MAX_MESSAGE),
                "--lifespan", "off", "--no-access-log", "--log-level", "warning", "--backlog", "4096", APP]
    if kind == "granian":
        return [py, "-m", "granian", "--interface", "asginl", "--host", "127.0.0.1", "--port", str(port),
                "--workers", "1", "--loop", "uvloop", "--backlog", "4096", "--no-access-log", APP]
    raise ValueError(f"unknown server {kind!r}: one of {', '.join(SERVERS)}")


class AsgiServer(DaphneServer):
    """One server process of `kind`, started and awaited as tests.servers starts Daphne."""

    def __init__(self, kind: str, port: int | None = None, **env):
        self.name = kind
        super().__init__(port, **env)

    @property
    def kind(self) -> str:
        return self.name

    def command(self) -> list[str]:
        return command(self.kind, self.port)

    @property
    def worker_pid(self) -> int:
        """The process that runs the app (Granian's supervisor forks a worker for it)."""
        if self.kind != "granian":
            return self.proc.pid
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        return int(children[0]) if children else self.proc.pid

    def start(self, timeout: float = 60) -> "AsgiServer":
        return super().start(timeout)


def start_servers(kind: str, count: int, **env) -> list[AsgiServer]:
    servers = []
    try:
        for _ in range(count):
            servers.append(AsgiServer(kind, **env).start())
    except Exception:
        for s in servers:
            s.stop()
        raise
    return servers


class Nginx:
    """A real nginx on loopback in front of `backends`, configured by deploy/nginx_conf.py (plain
    HTTP: the clients of the bench do not do TLS; the TLS path is tested in test_deploy_nginx)."""

    def __init__(self, backends: list, prefix: Path, connections: int = 4096):
        self.backends, self.prefix, self.port = backends, Path(prefix), free_port()
        self.connections = max(4096, 2 * connections + 256)
        self.proc: subprocess.Popen | None = None

    http = AsgiServer.http
    ws = AsgiServer.ws

    def start(self) -> "Nginx":
        from django.conf import settings

        from deploy.nginx_conf import site, standalone

        self.prefix.mkdir(parents=True, exist_ok=True)
        conf = standalone(site(upstreams=[f"127.0.0.1:{b.port}" for b in self.backends],
                               listen=f"127.0.0.1:{self.port}", static_root=str(settings.STATIC_ROOT)),
                          prefix=str(self.prefix), worker_connections=self.connections)
        (self.prefix / "nginx.conf").write_text(conf)
        self.proc = subprocess.Popen(["nginx", "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf"),
                                      "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_port(self.port)
        return self

    def stop(self) -> None:
        from tests.servers import terminate

        terminate(self.proc)


def measure_each(scenario, kinds: list[str], processes: int, env: dict, *, via_nginx: bool, sockets: int,
                 var_dir: str, profile: str | None = None) -> dict:
    """Run `scenario(endpoints, backends, profiler)` (a coroutine function) once for every server kind,
    then, with via_nginx, once more through nginx: {"daphne": report, "daphne via nginx": report, …}.
    The first run's first app process is profiled when `profile` names a directory."""
    from bench.profile import Profiler

    runs = {}
    plan = [(kind, via) for kind in kinds for via in (False, True)[: 1 + via_nginx]]
    for n, (kind, via) in enumerate(plan):
        label = f"{kind} via nginx" if via else kind
        prof = Profiler(profile if n == 0 else None, label.replace(" ", "-"))
        load = round(os.getloadavg()[0], 2)   # the machine's other work differs from run to run
        servers, front = start_servers(kind, processes, **env), None
        try:
            if via:
                front = Nginx(servers, Path(var_dir) / f"nginx-{kind}", sockets).start()
            prof.attach(servers[0].worker_pid)
            pids = [p for s in servers for p in (s.proc.pid, s.worker_pid)]
            cpu = cpu_seconds(pids)
            run = asyncio.run(scenario([front] if front else servers, servers, prof))
            # CPU the app processes spent on the run: less skewed by the machine's other work than latency.
            cpu = round(cpu_seconds(pids) - cpu, 1)
        finally:
            if front:
                front.stop()
            for s in servers:
                s.stop()
        run.update(server=kind, via_nginx=via, loadavg_at_start=load, app_cpu_seconds=cpu,
                   **({"profile": prof.summaries} if prof.summaries else {}))
        runs[label] = run
    return runs
