"""py-spy on one server process during named phases of a benchmark: a top listing and a flame graph.

    with Profiler("var/profiles", "daphne").attach(pid).phase("connect"):
        ...   # the phase

py-spy samples the process (100 Hz, `--nonblocking`: the process is never paused, so the figures
are not skewed by the profiler; native frames off) and writes collapsed stacks; from them this
module writes `<name>-<phase>.txt` (the top frames: self and inclusive share of the samples) and a
plain SVG flame graph `<name>-<phase>.svg`. Idle threads (waiting in epoll/select) are not sampled,
so the percentages are shares of the time the process was doing something.
"""
from __future__ import annotations

import contextlib
import html
import re
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")
ROOT = Path(__file__).resolve().parent.parent
# The project's own packages: their frames get a listing of their own (the server's frames and the
# middleware chain sit under everything and say nothing).
APP_PACKAGES = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()} - {"bench", "tests", "deploy"}
APP_WRAPPERS = ("meetingroom/serve.py", "meetingroom/origin.py")


def py_spy() -> str | None:
    local = Path(sys.executable).with_name("py-spy")
    return str(local) if local.exists() else shutil.which("py-spy")


class Profiler:
    def __init__(self, out_dir: str | Path | None, name: str, pid: int | None = None, rate: int = 100):
        self.out_dir = Path(out_dir) if out_dir else None
        self.name, self.pid, self.rate = name, pid, rate
        self.summaries: dict[str, dict] = {}

    def attach(self, pid: int) -> "Profiler":
        self.pid = pid
        return self

    @contextlib.contextmanager
    def phase(self, phase: str):
        self.start(phase)
        try:
            yield
        finally:
            self.stop()

    def start(self, phase: str) -> None:
        if self.out_dir is None or self.pid is None:
            return
        self.stop()
        exe = py_spy()
        if exe is None:
            raise RuntimeError("py-spy is not installed (pip install -e .[bench])")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        raw = self.out_dir / f"{self.name}-{phase}.raw"
        proc = subprocess.Popen([exe, "record", "--pid", str(self.pid), "--rate", str(self.rate), "--nonblocking",
                                 "--format", "raw", "--output", str(raw),
                                 # BENCH_PROFILE_GIL=1: only the thread holding the GIL, i.e. Python CPU
                                 # (waits in C, such as psycopg's wait for PostgreSQL, drop out).
                                 *(["--gil"] if os.environ.get("BENCH_PROFILE_GIL") == "1" else [])],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._running = (phase, raw, proc)

    def stop(self) -> None:
        """End the running phase (if any) and write its listing and flame graph."""
        running, self._running = getattr(self, "_running", None), None
        if running is None:
            return
        phase, raw, proc = running
        proc.send_signal(signal.SIGINT)   # py-spy writes its output on SIGINT
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        if not raw.exists():
            self.summaries[phase] = {"error": err.decode(errors="replace")[-500:]}
            return
        stacks = read_collapsed(raw.read_text())
        self.summaries[phase] = summary = top(stacks)
        title = f"{self.name} {phase}"
        (self.out_dir / f"{self.name}-{phase}.txt").write_text(format_top(summary, title))
        (self.out_dir / f"{self.name}-{phase}.svg").write_text(flamegraph(stacks, title))


def _short(frame: str) -> str:
    """`func (…/site-packages/pkg/mod.py:12)` → `func (pkg/mod.py)`: one entry per function."""
    m = _FRAME.match(frame)
    if not m:
        return frame
    path = m["file"]
    for marker in ("site-packages/", "/lib/python3."):
        if marker in path:
            path = path.split(marker, 1)[1]
            if marker.startswith("/lib"):
                path = "stdlib/" + path.split("/", 1)[-1]
            break
    else:
        path = path.split("/wt-", 1)[-1].split("/", 1)[-1] if "/wt-" in path else "/".join(path.rsplit("/", 2)[-2:])
    return f"{m['func']} ({path})"


def read_collapsed(text: str) -> list[tuple[list[str], int]]:
    stacks = []
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append(([_short(f) for f in stack.split(";")], int(count)))
    return stacks


def top(stacks: list[tuple[list[str], int]], n: int = 15) -> dict:
    total = sum(c for _, c in stacks) or 1
    own, incl = Counter(), Counter()
    for frames, count in stacks:
        own[frames[-1]] += count
        for f in set(frames):
            incl[f] += count
    pct = lambda c: round(100 * c / total, 1)  # noqa: E731
    app = Counter({f: c for f, c in incl.items() if _is_app(f)})
    return {"samples": total,
            "self": [(f, pct(c)) for f, c in own.most_common(n)],
            "inclusive": [(f, pct(c)) for f, c in incl.most_common(n + 10)],
            "inclusive_app": [(f, pct(c)) for f, c in app.most_common(n)]}


def _is_app(frame: str) -> bool:
    path = frame.rpartition(" (")[2].rstrip(")")
    return path.split("/", 1)[0] in APP_PACKAGES and not path.endswith(APP_WRAPPERS)


def format_top(summary: dict, title: str) -> str:
    lines = [f"# {title}: {summary['samples']} samples (active, all threads)", "", "self %:"]
    lines += [f"  {p:5.1f}  {f}" for f, p in summary["self"]]
    lines += ["", "inclusive %, the project's own code:"] + [f"  {p:5.1f}  {f}" for f, p in summary["inclusive_app"]]
    lines += ["", "inclusive %, all:"] + [f"  {p:5.1f}  {f}" for f, p in summary["inclusive"]]
    return "\n".join(lines) + "\n"


def flamegraph(stacks: list[tuple[list[str], int]], title: str, width: int = 1800, row: int = 16) -> str:
    """A plain SVG flame graph (root at the bottom); hover a box for its name and share."""
    tree: dict = {}
    for frames, count in stacks:
        node = tree
        for f in frames:
            child = node.setdefault(f, {"_n": 0, "_c": {}})
            child["_n"] += count
            node = child["_c"]
    total = sum(c for _, c in stacks) or 1
    boxes = []

    def walk(children: dict, x: float, depth: int):
        for name, child in sorted(children.items()):
            w = width * child["_n"] / total
            if w >= 0.5:
                boxes.append((x, depth, w, name, child["_n"]))
                walk(child["_c"], x, depth + 1)
            x += w

    walk(tree, 0.0, 0)
    height = (max((d for _, d, _, _, _ in boxes), default=0) + 3) * row
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="monospace" '
           f'font-size="11"><text x="4" y="14">{html.escape(title)} ({total} samples)</text>']
    for x, depth, w, name, n in boxes:
        y = height - (depth + 1) * row
        hue = 20 + hash(name.split(" (")[-1]) % 40
        label = html.escape(name[: int(w / 7)]) if w > 21 else ""
        out.append(f'<g><title>{html.escape(name)} — {n} samples, {100 * n / total:.1f}%</title>'
                   f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 1}" fill="hsl({hue},85%,60%)"/>'
                   f'<text x="{x + 2:.1f}" y="{y + row - 4}">{label}</text></g>')
    return "\n".join(out + ["</svg>"])


if __name__ == "__main__":   # listing and flame graph again from saved stacks: profile.py FILE.raw …
    for name in sys.argv[1:]:
        raw = Path(name)
        stacks = read_collapsed(raw.read_text())
        raw.with_suffix(".txt").write_text(format_top(top(stacks), raw.stem))
        raw.with_suffix(".svg").write_text(flamegraph(stacks, raw.stem))
