"""Vote storm: 1,000 members cast a secret ballot within the same second, over 2 Daphne processes.

    .venv/bin/python bench/vote_storm.py --voters 1000

Drops and recreates its own PostgreSQL database (mr_bench_votes) and flushes its own Redis db (/5).
Secret ballots are encrypted (voting/secret_tally.py): the report says the scheme, the number of
ciphertexts stored and whether the published decryption proofs verify.
Prints: ballots/s (first send → last acknowledgement), the time from the last ballot to the published
result on every tablet (p50/p99/max), ballots lost or duplicated (must be 0), and a baseline: the
same ballots as raw PostgreSQL transactions (psycopg: INSERT voter + UPDATE counter), with the ratio.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.profile import Profiler  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--voters", type=int, default=1000)
    p.add_argument("--processes", type=int, default=2, help="Daphne processes")
    p.add_argument("--client-processes", type=int, default=2)
    p.add_argument("--connect-concurrency", type=int, default=8)
    p.add_argument("--spread", type=float, default=1.0, help="ballots are sent spread over this many seconds")
    p.add_argument("--db", default="mr_bench_votes")
    p.add_argument("--pg", default=common.DEFAULT_PG)
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    p.add_argument("--var-dir", default="/tmp/var-bench-votes")
    p.add_argument("--json", default=None)
    p.add_argument("--profile", metavar="DIR", default=None,
                   help="py-spy the first Daphne process while the ballots are cast, counted and published")
    return p.parse_args(argv)


# --- client side (spawned worker processes, no Django) -----------------------------------------

class Voter:
    """One tablet. If its socket drops, it reconnects and resends the same ballot with the same
    token, as the real tablet does; the server must count it once."""

    def __init__(self, url, cookie, origin):
        self.url, self.cookie, self.origin = url, cookie, origin
        self.ws = None
        self.ready = asyncio.Event()
        self.acked = asyncio.Event()
        self.sent_at = self.ack_at = self.published_at = None
        self.ack = None
        self.result = None
        self.error = None
        self.turnout_frames = 0
        self.frames = 0
        self.reconnects = 0

    async def connect(self, sem, last_seq=None):
        import websockets

        self.ready = asyncio.Event()
        async with sem:
            for attempt in range(30):
                try:
                    self.ws = await websockets.connect(
                        self.url, additional_headers={"Origin": self.origin, "Cookie": f"sessionid={self.cookie}"},
                        max_size=2**24, open_timeout=60, ping_interval=None, close_timeout=1)
                    hello = {"protocol": 1}
                    if last_seq is not None:
                        hello["last_seq"] = last_seq  # a replay hello: "synced" instead of a big snapshot
                    await self.ws.send(json.dumps({"type": "hello", "id": 0, "content": hello}))
                    self.error = None
                    break
                except Exception as e:  # refused under load: back off like a tablet
                    self.error = f"{type(e).__name__}: {e}"[:200]
                    await asyncio.sleep(min(5.0, 0.2 * (attempt + 1)))
            else:
                self.ready.set()
                return
        asyncio.create_task(self.read(self.ws))
        await asyncio.wait_for(self.ready.wait(), 120)

    async def read(self, ws):
        try:
            async for text in ws:
                self.frames += 1
                if text.startswith('{"type":"presence"') or text.startswith('{"type":"heartbeat"'):
                    continue
                now = time.time()
                if text.startswith('{"type":"poll.turnout"'):
                    self.turnout_frames += 1
                    continue
                msg = json.loads(text)
                kind = msg.get("type")
                if msg.get("in_response") == 0:
                    self.ready.set()
                elif msg.get("in_response") == 1:
                    self.ack_at, self.ack = now, (kind if kind == "ok" else msg["content"].get("code"))
                    self.acked.set()
                elif kind == "event" and msg["content"]["type"] == "poll.published":
                    self.published_at = now
                    row = next(iter(msg["content"]["data"]["patch"].values()))
                    self.result = row["result"]["counts"]
                elif kind == "snapshot" and self.result is None:
                    row = (msg["content"].get("polls") or {})
                    for r in row.values():
                        if r.get("result"):
                            self.published_at, self.result = now, r["result"]["counts"]
        except Exception as e:
            self.error = f"{type(e).__name__}: {e}"[:200]
        self.ready.set()

    async def vote(self, poll_id, at, choice, sem):
        await asyncio.sleep(max(0.0, at - time.time()))
        self.sent_at = time.time()
        # As a tablet sends it (meeting-client.js): an idempotency key beside the ballot's token.
        message = json.dumps({"type": "poll.vote", "id": 1, "key": f"vote-{poll_id}-{self.cookie[:32]}", "content": {
            "poll_id": poll_id, "choice": choice, "token": f"bench-{self.cookie}"}})
        for attempt in range(10):
            try:
                await self.ws.send(message)
                await asyncio.wait_for(self.acked.wait(), 60)
                return
            except Exception:
                self.reconnects += 1
                await asyncio.sleep(0.5 * (attempt + 1))
                await self.connect(sem)


async def _worker(conn, specs, last_seq, concurrency):
    loop = asyncio.get_running_loop()
    sem = asyncio.Semaphore(concurrency)
    voters = [Voter(s["url"], s["cookie"], s["origin"]) for s in specs]
    await asyncio.gather(*(v.connect(sem, last_seq) for v in voters), return_exceptions=True)
    conn.send(("ready", sum(1 for v in voters if v.error is None)))
    while True:
        cmd, arg = await loop.run_in_executor(None, conn.recv)
        if cmd == "frames":
            conn.send(("frames", sum(v.frames for v in voters)))
        elif cmd == "vote":
            poll_id, start, spread = arg
            n = len(voters)
            await asyncio.gather(*(v.vote(poll_id, start + spread * i / n, s["choice"], sem)
                                   for i, (v, s) in enumerate(zip(voters, specs))), return_exceptions=True)
            deadline = time.time() + 60
            while time.time() < deadline and any(v.ack is None and v.error is None for v in voters):
                await asyncio.sleep(0.01)
            conn.send(("voted", None))
        elif cmd == "wait_result":
            deadline = time.time() + arg
            while time.time() < deadline and any(v.published_at is None for v in voters):
                await asyncio.sleep(0.01)
            conn.send(("results", [{"url": v.url, "sent": v.sent_at, "ack_at": v.ack_at, "ack": v.ack,
                                    "published_at": v.published_at, "result": v.result, "error": v.error,
                                    "turnout_frames": v.turnout_frames, "reconnects": v.reconnects} for v in voters]))
        elif cmd == "close":
            await asyncio.gather(*(v.ws.close() for v in voters if v.ws is not None), return_exceptions=True)
            conn.send(("closed", None))
            return


def worker_main(conn, specs, last_seq, concurrency):
    common.raise_nofile(len(specs) * 2 + 256)
    asyncio.run(_worker(conn, specs, last_seq, concurrency))


# --- the raw PostgreSQL baseline ---------------------------------------------------------------

def raw_baseline(database_url: str, n: int) -> float:
    """Ballots per second for the same writes without the application: one transaction per ballot."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_voter, bench_tally")
        conn.execute("CREATE TABLE bench_voter (id bigserial primary key, poll_id bigint, user_id bigint, "
                     "token_hash varchar(64), UNIQUE (poll_id, user_id))")
        conn.execute("CREATE TABLE bench_tally (id bigserial primary key, poll_id bigint, key varchar(20), "
                     "votes int, UNIQUE (poll_id, key))")
        conn.execute("INSERT INTO bench_tally (poll_id, key, votes) VALUES (1,'yes',0),(1,'no',0),(1,'abstain',0)")
        conn.autocommit = False
        started = time.perf_counter()
        for i in range(n):
            with conn.transaction():
                conn.execute("INSERT INTO bench_voter (poll_id, user_id, token_hash) VALUES (1, %s, '')", [i])
                conn.execute("UPDATE bench_tally SET votes = votes + 1 WHERE poll_id = 1 AND key = %s",
                             [("yes", "no", "abstain")[i % 3]])
        elapsed = time.perf_counter() - started
    return n / elapsed


# --- the run -----------------------------------------------------------------------------------

def prepare(a):
    """Database, people, sessions and attendance (synchronous Django, before the event loop)."""
    common.raise_nofile(a.voters * 2 + 512)
    db_url = common.recreate_database(a.pg, a.db)
    common.flush_redis(a.redis_url)
    common.setup_django(db_url, a.redis_url, a.var_dir)
    common.migrate()

    from sessions.models import Attendance

    t = time.monotonic()
    meeting, pop = common.make_committee("Đảng bộ (đo tải biểu quyết)", a.voters, prefix="v")
    # Opening the meeting already checks the chair in: the members are added beside it.
    Attendance.objects.bulk_create(
        [Attendance(meeting=meeting, user=u, status="present") for u in [pop.chair, *pop.members]], batch_size=1000,
        ignore_conflicts=True)
    meeting.refresh_from_db()
    item = common.agenda_ids(meeting)[0]
    print(f"setup: {a.voters} members, sessions and attendance in {time.monotonic() - t:.1f}s", flush=True)
    return db_url, meeting, pop, item


async def run(a, db_url, meeting, pop, item) -> dict:
    import multiprocessing as mp

    from asgiref.sync import sync_to_async

    from voting import secret_tally
    from voting.models import EncryptedBallot, Poll, Tally, VoterRecord

    servers = common.start_daphnes(a.processes)
    prof = Profiler(a.profile, "daphne-vote-storm", servers[0].proc.pid)
    workers = []
    try:
        choices = ("yes", "yes", "no", "abstain")
        specs = [{"url": f"{servers[i % len(servers)].ws}/ws/meetings/{meeting.pk}/", "cookie": cookie,
                  "origin": servers[i % len(servers)].http, "choice": choices[i % 4]}
                 for i, cookie in enumerate(pop.member_cookies)]
        ctx = mp.get_context("spawn")
        conns = []
        t = time.monotonic()
        for k in range(a.client_processes):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker_main, args=(child, specs[k::a.client_processes], meeting.last_seq,
                                                         a.connect_concurrency), daemon=True)
            proc.start()
            conns.append(parent)
            workers.append(proc)
        loop = asyncio.get_running_loop()

        async def ask(conn, cmd=None, arg=None):
            if cmd:
                conn.send((cmd, arg))
            return await loop.run_in_executor(None, conn.recv)

        ready = sum(r[1] for r in await asyncio.gather(*(ask(c) for c in conns)))
        print(f"connected: {ready}/{a.voters} tablets in {time.monotonic() - t:.1f}s", flush=True)
        # Wait for the presence broadcasts of the connection storm to drain before voting.
        t = time.monotonic()
        last = -1
        while time.monotonic() - t < 300:
            now = sum(r[1] for r in await asyncio.gather(*(ask(c, "frames") for c in conns)))
            if now == last:
                break
            last = now
            await asyncio.sleep(2.0)
        print(f"quiet after {time.monotonic() - t:.1f}s", flush=True)
        chair = await common.Controller.connect(f"{servers[0].ws}/ws/meetings/{meeting.pk}/",
                                                pop.chair_cookies[0], servers[0].http)
        created = await chair.request("poll.create", {"agenda_item_id": item, "title": "Biểu quyết đo tải",
                                                      "secret": True})
        poll_id = created["content"]["poll_id"]
        opened = await chair.request("poll.open", {"poll_id": poll_id})
        assert opened["type"] == "ok", opened
        await asyncio.sleep(1.0)  # let poll.opened reach the tablets

        start = time.time() + 0.5
        pids = [s.proc.pid for s in servers]
        cpu_before = common.cpu_seconds(pids)
        others = {"postgres": common.pids_named("postgres"), "redis": common.pids_named("redis-server"),
                  "clients": [w.pid for w in workers]}
        others_before = {k: common.cpu_seconds(v) for k, v in others.items()}
        prof.start("vote")
        await asyncio.gather(*(ask(c, "vote", (poll_id, start, a.spread)) for c in conns))
        server_cpu = common.cpu_seconds(pids) - cpu_before
        # New backends (the pool grows) are missed by `others`: a lower bound for PostgreSQL.
        others_cpu = {k: common.cpu_seconds(v) - others_before[k] for k, v in others.items()}
        t_close = time.time()
        closed = await chair.request("poll.close", {"poll_id": poll_id}, timeout=120)
        t_closed = time.time()
        published = await chair.request("poll.publish", {"poll_id": poll_id}, timeout=120)
        t_published = time.time()
        assert closed["type"] == "ok" and published["type"] == "ok", (closed, published)
        rows = [{**r, "worker": k} for k, res in enumerate(await asyncio.gather(*(ask(c, "wait_result", 60.0)
                                                                                  for c in conns))) for r in res[1]]
        prof.stop()
        await chair.close()

        acks = [r for r in rows if r["ack_at"]]
        ok = [r for r in acks if r["ack"] == "ok"]
        first_sent = min(r["sent"] for r in rows if r["sent"])
        last_ack = max(r["ack_at"] for r in acks)
        to_result = [r["published_at"] - last_ack for r in rows if r["published_at"]]
        stored = await sync_to_async(VoterRecord.objects.filter(poll_id=poll_id).count)()
        poll = await sync_to_async(Poll.objects.get)(pk=poll_id)
        encrypted = await sync_to_async(EncryptedBallot.objects.filter(poll_id=poll_id).count)()
        tally_problems = await sync_to_async(secret_tally.verify)(poll)
        tallies = await sync_to_async(lambda: dict(Tally.objects.filter(poll_id=poll_id).values_list("key", "votes")))()
        expected = {c: sum(1 for s in specs if s["choice"] == c) for c in ("yes", "no", "abstain")}
        rate = len(ok) / (last_ack - first_sent)
        raw = raw_baseline(db_url, a.voters)
        report = {
            "voters": a.voters, "daphne_processes": a.processes, "connected": ready,
            "acknowledged_ok": len(ok), "errors": sorted({str(r["ack"] or r["error"]) for r in rows} - {"ok"}),
            "ballots_per_s": round(rate, 1),
            # CPU of the Daphne processes while the ballots were cast (turnout frames included).
            "server_cpu_ms_per_ballot": round(1000 * server_cpu / max(1, len(ok)), 2),
            "other_cpu_ms_per_ballot": {k: round(1000 * v / max(1, len(ok)), 2) for k, v in others_cpu.items()},
            "send_to_last_ack_s": round(last_ack - first_sent, 3),
            "last_ballot_to_result_ms": common.summarize_ms(to_result),
            "tablets_with_result": len(to_result),
            # A slow tail is easier to place when split by server process and by client process.
            "last_ballot_to_result_p99_ms_by": {
                f"{what} {key}": common.summarize_ms([r["published_at"] - last_ack for r in rows
                                                      if r["published_at"] and r[what] == key])["p99"]
                for what in ("url", "worker") for key in sorted({r[what] for r in rows})},
            "chair_close_sent_after_last_ack_s": round(t_close - last_ack, 3),
            "close_reply_s": round(t_closed - t_close, 3), "publish_reply_s": round(t_published - t_closed, 3),
            "tablets_with_result_within_2s": sum(1 for x in to_result if x <= 2.0),
            "stored_voter_records": stored, "tallies": tallies, "expected_tallies": expected,
            # lost: acknowledged ballots missing from the database; duplicated: counted more than once.
            "lost": max(0, len(ok) - stored), "duplicated": max(0, sum(tallies.values()) - stored),
            "stored_without_ack": max(0, stored - len(ok)), "never_acknowledged": a.voters - len(ok),
            "tally_mismatch": tallies != expected,
            "scheme": poll.scheme, "encrypted_ballots": encrypted, "tally_proofs_verify": not tally_problems,
            "raw_postgres_ballots_per_s": round(raw, 1), "ratio_app_to_raw": round(rate / raw, 3),
            "turnout_frames_per_tablet_max": max(r["turnout_frames"] for r in rows),
            "tablet_reconnects_during_vote": sum(r["reconnects"] for r in rows),
            **({"profile": prof.summaries} if prof.summaries else {}),
        }
        return report
    finally:
        prof.stop()
        for c in locals().get("conns", []):
            try:
                c.send(("close", None))
            except Exception:
                pass
        for p in workers:
            p.join(5)
            if p.is_alive():
                p.kill()
        for s in servers:
            s.stop()


def main(argv=None):
    a = parse_args(argv)
    report = asyncio.run(run(a, *prepare(a)))
    print(json.dumps(report, ensure_ascii=False, indent=2))
    ms = report["last_ballot_to_result_ms"]
    print(f"\n{report['acknowledged_ok']} ballots at {report['ballots_per_s']}/s "
          f"(raw PostgreSQL {report['raw_postgres_ballots_per_s']}/s, ratio {report['ratio_app_to_raw']}; "
          f"Daphne CPU {report['server_cpu_ms_per_ballot']} ms per ballot); "
          f"last ballot → result on {report['tablets_with_result']} tablets: p99 {ms['p99']} ms, max {ms['max']} ms; "
          f"lost {report['lost']}, duplicated {report['duplicated']}")
    if a.json:
        Path(a.json).write_text(json.dumps(report, ensure_ascii=False, indent=2))
    bad = (report["lost"] or report["duplicated"] or not report["tally_proofs_verify"]
           or (report["tally_mismatch"] and not report["never_acknowledged"]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
