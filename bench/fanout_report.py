"""The fan-out benchmark's printed report: every run in detail, then one table of all of them."""
from __future__ import annotations

import os


def machine() -> dict:
    import platform

    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 platform.processor())
    mem = next((line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")), "0")
    return {"nproc": os.cpu_count(), "cpu": model, "mem_gib": round(int(mem) / 2**20, 1),
            "python": platform.python_version(), "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]}


def print_report(report: dict) -> None:
    m = report["machine"]
    print(f"\n== fan-out benchmark, mode={report['mode']} ==")
    print(f"machine: {m['nproc']} CPU ({m['cpu']}), {m['mem_gib']} GiB, Python {m['python']}; "
          f"open-files limit {report['nofile']}")
    c = report["config"]
    print(f"config: clients={c['clients']} processes={c['processes']} servers={','.join(c['server_list'])} "
          f"via-nginx={c['via_nginx']} client-processes={c['client_processes']} "
          f"changes={c['changes']} interval={c['interval']}s capacity={c['capacity'] or 'default'}")
    sections = dict(report.get("runs") or {"ours": report["ours"]})
    if report.get("bare"):
        sections["bare"] = report["bare"]
    for name, r in sections.items():
        print(f"-- {name}")
        if "error" in r:
            print(f"{name}: ERROR {r['error']}")
            continue
        lat = r["latency_ms"]
        print(f"      clients={r['clients']} events={r['events']} lost={r['events_lost']} "
              f"incomplete={r['incomplete_clients']} failed={r['failed_clients']} gaps={r['gaps_seen']} "
              f"repeats={r['repeats_seen']} reconnects={r['reconnects']}")
        print(f"      connect phase {r['connect_seconds']}s ({r['connect_retries']} refused handshakes retried), "
              f"settle {r['settle_seconds']}s; {r['frames_received']} frames received in all")
        print(f"      latency send→receipt ms: p50={lat['p50']} p95={lat['p95']} p99={lat['p99']} max={lat['max']}"
              f"  (n={lat['n']})")
        for key, label in (("latency_after_ok_ms", "ok-reply→receipt"), ("latency_after_insert_ms", "insert→receipt"),
                           ("request_ms", "chair request→ok")):
            lat = r[key]
            print(f"      latency {label} ms: p50={lat['p50']} p95={lat['p95']} p99={lat['p99']} max={lat['max']}")
        for key in ("refused", "issued_seconds", "acknowledged_seconds", "committed_seconds", "all_delivered_seconds",
                    "group_messages_dropped", "socket_deliveries_dropped_approx", "meetings", "run_seconds",
                    "events_per_second", "asked_per_second", "committed_per_second", "window_seconds"):
            if key in r:
                print(f"      {key}: {r[key]}")
    print_table(report)
    print(f"setup {report['setup_seconds']}s, total {report['total_seconds']}s; load average (1/5/15 min) "
          f"at start {m['loadavg_at_start']}, at end {m['loadavg_at_end']} (other work on the machine skews results)")


def print_table(report: dict) -> None:
    """One Markdown table: each server (direct, via nginx) and the bare baseline of the same run."""
    rows = dict(report.get("runs") or {"ours": report["ours"]})
    if report.get("bare"):
        rows["bare websockets"] = report["bare"]
    ratios = report.get("p99_ratios", {})
    print("\n| run | load | tablets | events | lost | incomplete | p50 | p95 | p99 | max | connect s | app CPU s "
          "| p99 / bare |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for label, r in rows.items():
        if "error" in r:
            print(f"| {label} | ERROR: {r['error'][:80]} |||||||||||")
            continue
        lat = r["latency_ms"]
        ratio = ratios.get(label, 1.0 if label == "bare websockets" else "")
        print(f"| {label} | {r.get('loadavg_at_start', '')} | {r['clients']} | {r['events']} | {r['events_lost']} | "
              f"{r['incomplete_clients']} | {lat['p50']} | {lat['p95']} | {lat['p99']} | {lat['max']} | "
              f"{r['connect_seconds']} | {r.get('app_cpu_seconds', '')} | {ratio} |")


if __name__ == "__main__":   # the table again from a saved report: fanout_report.py REPORT.json
    import json
    import sys

    print_table(json.loads(open(sys.argv[1]).read()))
