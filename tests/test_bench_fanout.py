"""The fan-out benchmark itself runs end to end: a tiny run, real Daphne, PostgreSQL and Redis.

It runs bench/fanout.py as a subprocess (its own database, mr_bench_fanout_smoke, dropped and
recreated; the Redis db of this test run) and checks the report, not the speed: every tablet got
every event once and in order, and the report carries the figures the README promises.
"""
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from bench.common import percentile, summarize_ms
from bench.fanout import analyze, parse_args, steady_rate
from bench.profile import read_collapsed, top
from tests.conftest import scaled

ROOT = Path(__file__).resolve().parent.parent


def _run_bench(tmp_path, *args) -> dict:
    db = settings.DATABASES["default"]
    pg = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    out = tmp_path / "report.json"
    # The bench flushes its Redis db, so it gets one of its own on the tests' Redis server.
    redis_url = urlsplit(settings.REDIS_URL)._replace(path="/8").geturl()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "fanout.py"), "--pg", pg, "--redis-url", redis_url,
         "--var-dir", str(tmp_path / "var"), "--json", str(out), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(out.read_text())


def _assert_complete(section: dict, clients: int, events: int):
    assert "error" not in section, section
    assert section["clients"] == clients
    assert section["events"] == events
    assert section["failed_clients"] == 0
    assert section["events_lost"] == 0
    assert section["incomplete_clients"] == 0
    assert section["repeats_seen"] == 0
    lat = section["latency_ms"]
    assert lat["n"] == clients * events
    assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["max"]


@scaled
@pytest.mark.django_db
def test_a_small_fanout_run_delivers_every_change_to_every_tablet_and_to_the_bare_baseline(tmp_path):
    report = _run_bench(tmp_path, "--clients", "20", "--processes", "1", "--client-processes", "1",
                        "--changes", "3", "--db", "mr_bench_fanout_smoke")
    _assert_complete(report["ours"], 20, 3)
    _assert_complete(report["bare"], 20, 3)
    ours_p99, bare_p99 = report["ours"]["latency_ms"]["p99"], report["bare"]["latency_ms"]["p99"]
    assert report["p99_ratio"] == pytest.approx(ours_p99 / bare_p99, rel=0.01)
    assert report["machine"]["nproc"] >= 1


@scaled
@pytest.mark.django_db
def test_uvicorn_and_granian_directly_and_through_nginx_in_one_run_with_ratios_and_a_profile(tmp_path):
    """One tiny run of every new option: the other servers, nginx in front, py-spy (Daphne itself,
    directly, is the test above; nginx and the profiler do the same whatever the server)."""
    profiles = tmp_path / "profiles"
    report = _run_bench(tmp_path, "--clients", "4", "--processes", "1", "--client-processes", "1",
                        "--changes", "2", "--interval", "0.05", "--servers", "uvicorn,granian", "--via-nginx",
                        "--profile", str(profiles), "--db", "mr_bench_fanout_smoke")
    labels = ["uvicorn", "uvicorn via nginx", "granian", "granian via nginx"]
    assert list(report["runs"]) == labels
    assert [(r["server"], r["via_nginx"]) for r in report["runs"].values()] == [
        ("uvicorn", False), ("uvicorn", True), ("granian", False), ("granian", True)]
    _assert_complete(report["bare"], 4, 2)
    for label, run in report["runs"].items():
        _assert_complete(run, 4, 2)
        assert report["p99_ratios"][label] == pytest.approx(
            run["latency_ms"]["p99"] / report["bare"]["latency_ms"]["p99"], rel=0.01)
        assert run["app_cpu_seconds"] > 0   # measured on the process that runs the app (Granian's worker)
    assert report["ours"] == report["runs"]["uvicorn"]
    # The first run is profiled: py-spy attached to its first app process during each phase.
    profile = report["runs"]["uvicorn"]["profile"]
    assert set(profile) == {"connect", "fanout"}, profile
    for phase in ("connect", "fanout"):
        assert "error" not in profile[phase], profile[phase]
        assert (profiles / f"uvicorn-{phase}.svg").read_text().startswith("<svg")
        assert "self %" in (profiles / f"uvicorn-{phase}.txt").read_text()
    assert profile["connect"]["samples"] > 0 and profile["connect"]["self"]
    assert all("profile" not in report["runs"][label] for label in labels[1:])


@scaled
@pytest.mark.django_db
def test_a_small_burst_over_a_tiny_channel_capacity_still_reaches_every_tablet_in_order(tmp_path):
    report = _run_bench(tmp_path, "--mode", "burst", "--clients", "20", "--processes", "2",
                        "--client-processes", "1", "--burst-events", "40", "--burst-sockets", "4",
                        "--capacity", "3", "--presence-ttl", "3", "--db", "mr_bench_fanout_smoke")
    ours = report["ours"]
    _assert_complete(ours, 20, 40)
    assert ours["refused"] == 0
    assert ours["gaps_seen"] == 0


# --- the analysis itself, on hand-made results ------------------------------------------------------

def _client(events, base=0, meeting_id=1, **extra):
    return {"meeting_id": meeting_id, "base_seq": base, "events": events, "gaps": 0, "repeats": 0, "frames": 0,
            "error": None, **extra}


@pytest.mark.smoke
def test_analysis_counts_a_missing_event_as_lost_and_measures_from_the_send():
    sends = {(1, 1): {"t_send": 10.0, "t_ok": 10.05, "at": 10.02},
             (1, 2): {"t_send": 11.0, "t_ok": 11.05, "at": 11.02}}
    complete = _client([(1, 10.1), (2, 11.3)])
    missing = _client([(1, 10.2)])
    report = analyze([complete, missing], sends, {1: 2})
    assert report["events_lost"] == 1
    assert report["incomplete_clients"] == 1
    assert report["latency_ms"]["n"] == 3
    assert report["latency_ms"]["max"] == pytest.approx(300, abs=0.01)
    assert report["latency_ms"]["p50"] == pytest.approx(200, abs=0.01)


@pytest.mark.smoke
def test_analysis_rejects_events_out_of_order_even_when_none_is_missing():
    sends = {(1, 1): {"t_send": 0, "t_ok": 0, "at": 0}, (1, 2): {"t_send": 0, "t_ok": 0, "at": 0}}
    report = analyze([_client([(2, 1.0), (1, 2.0)])], sends, {1: 2})
    assert report["incomplete_clients"] == 1
    assert report["events_lost"] == 0


def _chairs(starts, changes, interval, commit_delay):
    """Hand-made sends of chairs on schedule: each change committed `commit_delay` after its send."""
    return {(m, k): {"t_send": start + k * interval, "t_ok": 0, "at": start + k * interval + commit_delay}
            for m, start in enumerate(starts) for k in range(changes)}


@pytest.mark.smoke
def test_the_committed_rate_counts_only_while_every_chair_is_asking():
    # Ten chairs, one change a second each, starting up to a second apart: on schedule, the asked
    # rate is met although the whole run (staggered start included) averages less.
    on_time = _chairs([k / 10 for k in range(10)], changes=20, interval=1.0, commit_delay=0.05)
    rate = steady_rate(on_time, 1.0)
    assert rate["asked_per_second"] == 10.0
    assert rate["committed_per_second"] == pytest.approx(10.0, rel=0.06)
    assert 18 <= rate["window_seconds"] <= 19
    # A server that takes 1.5 s per change: chairs wait, their loops stretch, the rate shows it.
    slow = {(m, k): {"t_send": m / 10 + k * 1.5, "t_ok": 0, "at": m / 10 + k * 1.5 + 1.4}
            for m in range(10) for k in range(20)}
    assert steady_rate(slow, 1.0)["committed_per_second"] == pytest.approx(6.7, abs=0.4)
    assert steady_rate({}, 1.0)["committed_per_second"] == 0.0


@pytest.mark.smoke
def test_server_list_is_checked_and_defaults_to_daphne():
    assert parse_args([]).server_list == ["daphne"]
    assert parse_args(["--servers", "daphne, granian"]).server_list == ["daphne", "granian"]
    with pytest.raises(SystemExit):
        parse_args(["--servers", "daphne,gunicorn"])


@pytest.mark.smoke
def test_profile_top_listing_counts_self_and_inclusive_shares_per_function():
    raw = ("run (/x/site-packages/daphne/server.py:10);send (/x/site-packages/autobahn/ws.py:5) 3\n"
           "run (/x/site-packages/daphne/server.py:12);encode (/usr/lib/python3.11/json/encoder.py:7) 1\n")
    summary = top(read_collapsed(raw))
    assert summary["samples"] == 4
    assert summary["self"][0] == ("send (autobahn/ws.py)", 75.0)
    assert ("run (daphne/server.py)", 100.0) in summary["inclusive"]   # lines 10 and 12: one function
    assert ("encode (stdlib/json/encoder.py)", 25.0) in summary["self"]


@pytest.mark.smoke
def test_percentiles_use_the_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([7], 99) == 7
    assert summarize_ms([0.001, 0.002])["max"] == 2.0
