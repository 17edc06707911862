"""Real-time fan-out benchmark: how fast and how completely meeting events reach every tablet.

    .venv/bin/python bench/fanout.py                       # 1 meeting, 1000 tablets, 2 Daphne, 20 changes
    .venv/bin/python bench/fanout.py --mode burst          # 200 events in 1 s, CHANNEL_CAPACITY=20
    .venv/bin/python bench/fanout.py --mode meetings       # 100 meetings x 30 tablets on 2 Daphne
    .venv/bin/python bench/fanout.py --servers daphne,uvicorn,granian --via-nginx   # one table, one run

Each run drops and recreates its own PostgreSQL database (mr_bench_fanout by default) and flushes
its own Redis db (/8 by default; dbs 0 and 1 are refused). See bench/README.md for what is measured.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.fanout_report import machine, print_report  # noqa: E402
from bench.profile import Profiler  # noqa: E402
from bench.servers import SERVERS, measure_each  # noqa: E402

OVER_CAPACITY = re.compile(r"(\d+) of (\d+) channels over capacity in group meeting\.(\d+)")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mode", choices=("fanout", "burst", "meetings"), default="fanout")
    p.add_argument("--clients", type=int, default=None,
                   help="tablets (fanout: in one meeting, default 1000; burst: default 300; meetings: per meeting, 30)")
    p.add_argument("--meetings", type=int, default=100, help="meetings mode: number of meetings")
    p.add_argument("--processes", type=int, default=2, help="Daphne processes")
    p.add_argument("--client-processes", type=int, default=2, help="worker processes holding the client sockets")
    p.add_argument("--connect-concurrency", type=int, default=8,
                   help="handshakes in flight per client process (tablets retry with back-off when refused)")
    p.add_argument("--changes", type=int, default=20, help="current-item changes per meeting")
    p.add_argument("--interval", type=float, default=None,
                   help="seconds between a chair's changes (default 0.2; 1.0 in meetings mode)")
    p.add_argument("--burst-events", type=int, default=200, help="burst mode: events issued within one second")
    p.add_argument("--burst-sockets", type=int, default=10, help="burst mode: chair sockets issuing the burst")
    p.add_argument("--capacity", type=int, default=None,
                   help="CHANNEL_CAPACITY for the Daphne processes (default 20 in burst mode, else settings)")
    p.add_argument("--layer", choices=["pubsub", "core"], default=None,
                   help="channel layer of the Daphne processes (default: core in burst mode, to show "
                        "channels_redis dropping over capacity; else the settings default, pubsub)")
    p.add_argument("--presence-ttl", type=int, default=30, help="PRESENCE_TTL_SECONDS (tick = ttl/3)")
    p.add_argument("--no-bare", action="store_true", help="skip the bare websockets baseline")
    p.add_argument("--server", choices=SERVERS, default="daphne", help="ASGI server of the app processes")
    p.add_argument("--servers", default=None,
                   help="comma-separated servers measured one after the other in this run (e.g. "
                        "daphne,uvicorn,granian); overrides --server")
    p.add_argument("--via-nginx", action="store_true",
                   help="also measure each server through a real nginx on loopback (deploy/nginx_conf.py)")
    p.add_argument("--profile", metavar="DIR", default=None,
                   help="py-spy the first app process of the first run: a top listing and a flame graph per "
                        "phase (connect, fanout/meetings) in DIR")
    p.add_argument("--db", default="mr_bench_fanout")
    p.add_argument("--pg", default=common.DEFAULT_PG, help="PostgreSQL server URL (no database name)")
    p.add_argument("--redis-url", default=common.DEFAULT_REDIS)
    p.add_argument("--var-dir", default="/tmp/var-bench")
    p.add_argument("--json", default=None, help="also write the report as JSON to this file")
    a = p.parse_args(argv)
    if a.clients is None:
        a.clients = {"fanout": 1000, "burst": 300, "meetings": 30}[a.mode]
    if a.interval is None:
        a.interval = 1.0 if a.mode == "meetings" else 0.2
    if a.mode == "burst":
        a.layer = a.layer or "core"
    if a.capacity is None and a.mode == "burst":
        a.capacity = 20
    a.server_list = [s.strip() for s in (a.servers or a.server).split(",") if s.strip()]
    unknown = set(a.server_list) - set(SERVERS)
    if unknown or not a.server_list:
        p.error(f"--servers: unknown {', '.join(sorted(unknown))}; choose from {', '.join(SERVERS)}")
    return a


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


# --- analysis (pure) ----------------------------------------------------------------------------

def analyze(results: list[dict], sends: dict, finals: dict[int, int]) -> dict:
    """Per-client completeness and latency.

    results: one dict per client (Client.result()); sends: (meeting_id, seq) → {"t_send", "t_ok", "at"};
    finals: meeting_id → last seq every client must hold. A client is complete when the seqs it
    received are exactly base+1..final, each once, in order.
    """
    lat_send, lat_ok, lat_at = [], [], []
    lost = incomplete = failed = gaps = repeats = reconnects = frames = 0
    for r in results:
        reconnects += r.get("reconnects", 0)
        frames += r["frames"]
        if r["error"]:
            failed += 1
        final = finals[r["meeting_id"]]
        seqs = [s for s, _ in r["events"]]
        expected = list(range(r["base_seq"] + 1, final + 1)) if r["base_seq"] >= 0 else []
        if seqs != expected:
            incomplete += 1
            lost += len(set(expected) - set(seqs))
        gaps += r["gaps"]
        repeats += r["repeats"]
        for seq, t in r["events"]:
            sent = sends.get((r["meeting_id"], seq))
            if sent:
                lat_send.append(t - sent["t_send"])
                lat_ok.append(t - sent["t_ok"])
                lat_at.append(t - sent["at"])
    return {
        "clients": len(results), "failed_clients": failed, "incomplete_clients": incomplete,
        "events_lost": lost, "gaps_seen": gaps, "repeats_seen": repeats, "reconnects": reconnects,
        "frames_received": frames,
        "latency_ms": common.summarize_ms(lat_send),
        "latency_after_ok_ms": common.summarize_ms(lat_ok),
        "latency_after_insert_ms": common.summarize_ms(lat_at),
        # The chair's own round trip (request → ok): transaction, commit and publish.
        "request_ms": common.summarize_ms([s["t_ok"] - s["t_send"] for s in sends.values()]),
    }


def steady_rate(sends: dict, interval: float) -> dict:
    """Changes committed per second while every chair is active, against the rate asked.

    Chairs start at random moments within one interval and each waits for its own event before the
    next change, so the whole run's count over its length (staggered start and the last wait
    included) is below the asked rate even on an idle server. The window runs from the last chair's
    first send to the first chair's last send: there every chair asks once per `interval`, and a
    server that falls behind stretches the chairs' loops, so fewer commits fall inside it."""
    by_meeting: dict[int, list[float]] = {}
    for (meeting_id, _), s in sends.items():
        by_meeting.setdefault(meeting_id, []).append(s["t_send"])
    if not by_meeting:
        return {"asked_per_second": 0.0, "committed_per_second": 0.0, "window_seconds": 0.0}
    start = max(min(ts) for ts in by_meeting.values())
    end = min(max(ts) for ts in by_meeting.values())
    asked = round(len(by_meeting) / interval, 1)
    if end - start < interval:
        return {"asked_per_second": asked, "committed_per_second": None, "window_seconds": round(end - start, 2)}
    inside = sum(1 for s in sends.values() if start <= s["at"] < end)
    return {"asked_per_second": asked, "committed_per_second": round(inside / (end - start), 1),
            "window_seconds": round(end - start, 2)}


# --- scenarios ------------------------------------------------------------------------------------

def client_specs(servers, meeting_id: int, cookies: list[str], offset: int = 0) -> list[dict]:
    return [{"url": f"{servers[(i + offset) % len(servers)].ws}/ws/meetings/{meeting_id}/", "cookie": cookie,
             "origin": servers[(i + offset) % len(servers)].http, "meeting_id": meeting_id}
            for i, cookie in enumerate(cookies)]


async def chair_changes(chair: common.Controller, meeting_id: int, items: list[int], changes: int,
                        interval: float, start_delay: float = 0.0) -> dict:
    """The chair moves the current item `changes` times, one every `interval` s; returns sends."""
    await asyncio.sleep(start_delay)
    sends = {}
    for k in range(changes):
        t0 = time.time()
        target = items[(k + 1) % len(items)]
        reply = await chair.request("agenda.current", {"item_id": target})
        if reply["type"] != "ok":
            raise RuntimeError(f"agenda.current refused: {reply}")
        seq = await _own_event(chair, lambda e: e["data"]["patch"].get("current_item") == target)
        event = chair.events[seq]
        sends[(meeting_id, seq)] = {"t_send": t0, "t_ok": reply["_recv"], "at": _epoch(event["at"])}
        await asyncio.sleep(max(0.0, t0 + interval - time.time()))
    return sends


async def _own_event(ctrl: common.Controller, match, timeout: float = 15) -> int:
    """The highest-numbered not-yet-claimed event on this socket that matches."""
    deadline = time.monotonic() + timeout
    claimed = ctrl.__dict__.setdefault("_claimed", set())
    while time.monotonic() < deadline:
        for seq in sorted(ctrl.events, reverse=True):
            if seq not in claimed and match(ctrl.events[seq]):
                claimed.add(seq)
                return seq
        await asyncio.sleep(0.002)
    raise TimeoutError("the chair never received its own event")


async def measure_ours(servers, meeting_id, pop, items, args, prof: Profiler | None = None) -> dict:
    prof = prof or Profiler(None, "")   # not profiling
    specs = client_specs(servers, meeting_id, pop.member_cookies[: args.clients])
    prof.start("connect")
    workers = common.Workers(specs, args.client_processes, args.connect_concurrency)
    try:
        ready = await workers.ready()
        prof.stop()
        if ready["failed"]:
            return {"error": f"{ready['failed']} clients failed to connect: {ready['errors']}"}
        chair = await common.Controller.connect(f"{servers[0].ws}/ws/meetings/{meeting_id}/",
                                                pop.chair_cookies[0], servers[0].http)
        settle = await workers.quiesce()
        base = chair.seq
        prof.start("fanout")
        sends = await chair_changes(chair, meeting_id, items, args.changes, args.interval)
        final = base + args.changes
        results = await workers.collect({meeting_id: final})
        prof.stop()
        await chair.close()
    finally:
        prof.stop()
        await workers.close()
    report = analyze(results, sends, {meeting_id: final})
    report.update(connect_seconds=ready["seconds"], connect_retries=ready["retries"],
                  settle_seconds=round(settle, 2), events=len(sends))
    return report


async def measure_bare(args) -> dict:
    port = common.free_port()
    proc = common.start_bare_server(port)
    try:
        url, origin = f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{port}"
        specs = [{"url": url + "/ws", "cookie": None, "origin": origin, "meeting_id": 0}] * args.clients
        workers = common.Workers(specs, args.client_processes, args.connect_concurrency)
        try:
            ready = await workers.ready()
            if ready["failed"]:
                return {"error": f"{ready['failed']} clients failed to connect: {ready['errors']}"}
            ctrl = await common.Controller.connect(url + "/control", None, origin, hello=False)
            settle = await workers.quiesce(quiet=0.5)
            sends = {}
            for k in range(1, args.changes + 1):
                t0 = time.time()
                reply = await ctrl.request("broadcast", {"seq": k, "item": k % 2 + 1})
                seq = await _own_event(ctrl, lambda e, k=k: e["seq"] == k)
                sends[(0, seq)] = {"t_send": t0, "t_ok": reply["_recv"], "at": _epoch(ctrl.events[seq]["at"])}
                await asyncio.sleep(max(0.0, t0 + args.interval - time.time()))
            results = await workers.collect({0: args.changes})
            await ctrl.close()
        finally:
            await workers.close()
    finally:
        proc.terminate()
        proc.wait(10)
    report = analyze(results, sends, {0: args.changes})
    report.update(connect_seconds=ready["seconds"], connect_retries=ready["retries"],
                  settle_seconds=round(settle, 2), events=len(sends))
    return report


def _log_offsets(servers) -> list[int]:
    return [s.log_path.stat().st_size if s.log_path.exists() else 0 for s in servers]


def _dropped_since(servers, offsets, meeting_id: int) -> dict:
    """channels_redis's own count of group messages it refused (a process queue over capacity)."""
    group_messages = sockets = 0
    for server, offset in zip(servers, offsets):
        with open(server.log_path, "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
        for over, total, mid in OVER_CAPACITY.findall(text):
            if int(mid) == meeting_id:
                group_messages += int(over)
                sockets += round(int(over) * int(total) / len(servers))
    return {"group_messages_dropped": group_messages, "socket_deliveries_dropped_approx": sockets}


async def run_burst(servers, meeting_id, pop, items, args, backends=None) -> dict:
    backends = backends or servers   # the app processes (their logs), when `servers` is a proxy
    specs = client_specs(servers, meeting_id, pop.member_cookies[: args.clients])
    workers = common.Workers(specs, args.client_processes, args.connect_concurrency)
    try:
        ready = await workers.ready()
        if ready["failed"]:
            return {"error": f"{ready['failed']} clients failed to connect: {ready['errors']}"}
        chairs = [await common.Controller.connect(f"{servers[j % len(servers)].ws}/ws/meetings/{meeting_id}/",
                                                  pop.chair_cookies[j], servers[j % len(servers)].http)
                  for j in range(args.burst_sockets)]
        settle = await workers.quiesce()
        base = max(c.seq for c in chairs)
        n = args.burst_events
        targets = items[1: n + 1]  # distinct items, none current: every request makes one event
        offsets = _log_offsets(backends)
        t_start = time.time()
        t_send: dict[int, float] = {}

        async def fire(j: int):
            futures = []
            for i in range(j, n, len(chairs)):
                await asyncio.sleep(max(0.0, t_start + i / n - time.time()))
                t_send[targets[i]] = time.time()
                futures.append(await chairs[j].send("agenda.current", {"item_id": targets[i]}))
            return await asyncio.gather(*futures)

        firing = asyncio.gather(*(fire(j) for j in range(len(chairs))))
        while len(t_send) < n:
            await asyncio.sleep(0.001)
        issued_seconds = max(t_send.values()) - t_start
        replies = [r for rs in await firing for r in rs]
        acknowledged_seconds = time.time() - t_start
        refused = [r for r in replies if r["type"] != "ok"]
        final = base + n - len(refused)
        deadline = time.monotonic() + 30
        while chairs[0].seq < final and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        committed_seconds = time.time() - t_start
        sends = {}
        for seq, e in list(chairs[0].events.items()):
            item = e["data"]["patch"].get("current_item")
            if seq > base and item in t_send:
                sends[(meeting_id, seq)] = {"t_send": t_send[item], "t_ok": t_send[item], "at": _epoch(e["at"])}
        results = await workers.collect({meeting_id: final}, timeout=max(30, args.presence_ttl))
        done_seconds = max((r["events"][-1][1] for r in results if r["events"]), default=t_start) - t_start
        dropped = _dropped_since(backends, offsets, meeting_id)
        for c in chairs:
            await c.close()
    finally:
        await workers.close()
    report = analyze(results, sends, {meeting_id: final})
    report.update(connect_seconds=ready["seconds"], connect_retries=ready["retries"],
                  settle_seconds=round(settle, 2), events=final - base,
                  refused=len(refused), refused_sample=[r["content"] for r in refused[:3]],
                  issued_seconds=round(issued_seconds, 3), acknowledged_seconds=round(acknowledged_seconds, 3),
                  committed_seconds=round(committed_seconds, 3),
                  all_delivered_seconds=round(done_seconds, 3), capacity=args.capacity, **dropped)
    return report


async def run_meetings(servers, meetings, args, prof: Profiler | None = None) -> dict:
    """meetings: list of (meeting_id, population, items)."""
    prof = prof or Profiler(None, "")
    specs = []
    for index, (mid, pop, _) in enumerate(meetings):
        specs += client_specs(servers, mid, pop.member_cookies[: args.clients], offset=index)
    prof.start("connect")
    workers = common.Workers(specs, args.client_processes, args.connect_concurrency)
    try:
        ready = await workers.ready()
        prof.stop()
        if ready["failed"]:
            return {"error": f"{ready['failed']} clients failed to connect: {ready['errors']}"}
        chairs = []
        for index, (mid, pop, _) in enumerate(meetings):
            s = servers[index % len(servers)]
            chairs.append(await common.Controller.connect(f"{s.ws}/ws/meetings/{mid}/", pop.chair_cookies[0], s.http))
        settle = await workers.quiesce()
        bases = {mid: c.seq for (mid, _, _), c in zip(meetings, chairs)}
        rng = random.Random(7)
        prof.start("meetings")
        t0 = time.time()
        parts = await asyncio.gather(*(
            chair_changes(c, mid, items, args.changes, args.interval, start_delay=rng.uniform(0, args.interval))
            for (mid, _, items), c in zip(meetings, chairs)))
        run_seconds = time.time() - t0
        sends = {k: v for part in parts for k, v in part.items()}
        finals = {mid: bases[mid] + args.changes for mid in bases}
        results = await workers.collect(finals)
        prof.stop()
        for c in chairs:
            await c.close()
    finally:
        prof.stop()
        await workers.close()
    report = analyze(results, sends, finals)
    report.update(connect_seconds=ready["seconds"], connect_retries=ready["retries"],
                  settle_seconds=round(settle, 2), events=len(sends),
                  meetings=len(meetings), run_seconds=round(run_seconds, 2),
                  events_per_second=round(len(sends) / run_seconds, 1), **steady_rate(sends, args.interval))
    return report


# --- driver ---------------------------------------------------------------------------------------

def main(argv=None) -> dict:
    args = parse_args(argv)
    total_sockets = args.clients * (args.meetings if args.mode == "meetings" else 1) + 200
    nofile = common.raise_nofile(4 * total_sockets + 1024)
    Path(args.var_dir).mkdir(parents=True, exist_ok=True)
    database_url = common.recreate_database(args.pg, args.db)
    common.flush_redis(args.redis_url)
    common.setup_django(database_url, args.redis_url, args.var_dir)
    common.migrate()

    server_env = {"PRESENCE_TTL_SECONDS": args.presence_ttl, "LOG_LEVEL": "INFO"}
    if args.capacity:
        server_env["CHANNEL_CAPACITY"] = args.capacity
    if args.layer:
        server_env["CHANNEL_LAYER"] = args.layer
    report = {"mode": args.mode, "machine": machine(), "nofile": nofile,
              "config": {k: v for k, v in vars(args).items() if k not in ("pg", "json")}}
    started = time.time()

    if args.mode == "meetings":
        meetings = []
        for m in range(args.meetings):
            meeting, pop = common.make_committee(f"Chi bộ {m + 1}", args.clients, prefix=f"m{m}u")
            meetings.append((meeting.pk, pop, common.agenda_ids(meeting)))
    else:
        items = args.burst_events + 1 if args.mode == "burst" else 3
        meeting, pop = common.make_committee("Đảng ủy phường (đo tải)", args.clients, prefix="u", items=items,
                                             chair_sessions=args.burst_sockets if args.mode == "burst" else 1)
        item_ids = common.agenda_ids(meeting)
    report["setup_seconds"] = round(time.time() - started, 1)

    async def scenario(endpoints, backends, prof):
        """endpoints: where the tablets connect (the app processes, or nginx); backends: the app processes."""
        if args.mode == "fanout":
            return await measure_ours(endpoints, meeting.pk, pop, item_ids, args, prof)
        if args.mode == "burst":
            return await run_burst(endpoints, meeting.pk, pop, item_ids, args, backends=backends)
        return await run_meetings(endpoints, meetings, args, prof)

    report["runs"] = measure_each(scenario, args.server_list, args.processes, server_env, via_nginx=args.via_nginx,
                                  sockets=total_sockets, var_dir=args.var_dir, profile=args.profile)
    report["ours"] = next(iter(report["runs"].values()))
    if args.mode == "fanout" and not args.no_bare:
        load = round(os.getloadavg()[0], 2)
        report["bare"] = asyncio.run(measure_bare(args))
        report["bare"]["loadavg_at_start"] = load
        bare = report["bare"].get("latency_ms", {})
        report["p99_ratios"] = {label: round(r["latency_ms"]["p99"] / bare["p99"], 2)
                                for label, r in report["runs"].items()
                                if bare.get("p99") and r.get("latency_ms", {}).get("p99")}
        first = next(iter(report["runs"]))
        if first in report["p99_ratios"]:
            report["p99_ratio"] = report["p99_ratios"][first]   # the first server's, as before --servers
    report["total_seconds"] = round(time.time() - started, 1)
    report["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, ensure_ascii=False))
    return report


if __name__ == "__main__":
    main()
