"""The answer path under load: acks AND answers, errcode against a minimal bolt app.

wrk (a load generator that is not the thing under test) replays one signed `/errcode`
slash command at 1/20/50/100 connections for a few seconds each, against `errcode serve
--http` and, in the same run, `bench.bolt_baseline` (bolt's README app on waitress), each
in its own process, restarted for every cell. The local Slack stand-in (tests/fakes) takes
the response_url posts and answers them after 0 or 100 ms (Slack's round trip).

Per cell: ack p50/p99 (wrk), answers/s, the share answered when the load stops (an answer
or a "busy" note: in the ack or by response_url), seconds from the load's end to the last
post, and the server's peak RSS (its compute children's added). Loopback only; the whole
run takes under 3 minutes.

With ERRCODE_BENCH_BASELINE=REV, errcode as of REV (an export: `git archive`, nothing in
the repository changes) runs as a third server in the same alternation, with the same
interpreter and libraries: a before/after on one machine at one time. ERRCODE_BENCH_CELLS
(e.g. `50:0,50:100`, connections:delay) runs only those cells.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.slack.workers import BUSY
from tests.fakes import slack_payloads as payloads
from tests.fakes.escalation_thread import CURL_RATE_LIMITED
from tests.fakes.slack_api import BOT_TOKEN, LocalSlackAPI

SECRET = "bench-signing-secret-0123456789ab"
CONNECTIONS = (1, 20, 50, 100)
DELAYS_MS = (0, 100)
LOAD_S = 3
RUNS = 2  # per cell, the two servers alternating; the run with the lower ack p99 is kept
DRAIN_S = 6.0  # after the load: how long we wait for answers still owed
SERVERS = {"errcode": ("-m", "bot", "serve", "--http"), "bolt": ("-m", "bench.bolt_baseline")}
ROOT = Path(__file__).resolve().parents[1]
PASTE = CURL_RATE_LIMITED  # a curl -v transcript: a realistic triage, not a bare code
# waitress threads of the bolt app: errcode's listener_threads default, and what errcode
# itself uses (bot.slack.http.HTTP_THREADS). 16 is the bolt app's best: its acks wait in
# these threads (bolt polls for ack()); with 4 or 32 its ack p99 was worse in the same run.
THREADS = 16

WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = [[%(body)s]]
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-Slack-Request-Timestamp"] = "%(ts)s"
wrk.headers["X-Slack-Signature"] = "%(sig)s"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) busy = 0; bad = 0 end
function response(status, headers, body)
  if status ~= 200 then bad = bad + 1
  elseif string.find(body, "%(busy)s", 1, true) then busy = busy + 1 end
end
function done(summary, latency, requests)
  local b, n = 0, 0
  for _, t in ipairs(threads) do b = b + t:get("busy"); n = n + t:get("bad") end
  local e = summary.errors
  io.write(string.format("RESULT requests=%%d busy=%%d bad=%%d p50=%%d p99=%%d errors=%%d\\n",
    summary.requests, b, n, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


@dataclass(frozen=True)
class Cell:
    """One server at one concurrency and one Slack delay."""

    server: str
    connections: int
    delay_ms: int
    requests: int  # completed by wrk
    ack_p50_ms: float
    ack_p99_ms: float
    errors: int  # non-200 acks and socket errors
    answers: int  # real answers posted to response_url
    busy: int  # "busy" notes (in the ack, or posted)
    answered_at_end: float  # share of requests answered (or told busy) when the load stopped
    answers_per_s: float
    last_after_s: float | None  # last post, seconds after the load's end (None: never drained)
    rss_mb: float


def main() -> None:
    wrk = find_wrk()
    if wrk is None:
        print("wrk is not installed and could not be installed (`apt-get install -y wrk` as "
              "root); skipping the answer-path benchmark")
        return
    started = time.monotonic()
    wanted = _wanted_cells(os.environ.get("ERRCODE_BENCH_CELLS", ""))
    with _baseline(os.environ.get("ERRCODE_BENCH_BASELINE")) as servers:
        cells = [cell for delay in DELAYS_MS if any(d == delay for _, d in wanted)
                 for cell in _run_delay(wrk, delay, servers, wanted)]
    _print_table(cells)
    _print_targets(cells)
    print(f"whole run: {time.monotonic() - started:.0f} s")


def _wanted_cells(spec: str) -> list[tuple[int, int]]:
    """(connections, delay ms) to run: all by default, else `conns:delay,...`."""
    if not spec.strip():
        return [(c, d) for d in DELAYS_MS for c in CONNECTIONS]
    return [(int(c), int(d)) for c, d in (cell.split(":") for cell in spec.split(","))]


@contextmanager
def _baseline(rev: str | None) -> Iterator[dict[str, tuple[tuple[str, ...], Path | None]]]:
    """The servers to alternate, each (argv after python, working folder): errcode and
    the bolt app from this checkout, and errcode from an export of `rev` when asked."""
    servers: dict[str, tuple[tuple[str, ...], Path | None]] = {
        name: (argv, None) for name, argv in SERVERS.items()}
    if not rev:
        yield servers
        return
    with tempfile.TemporaryDirectory() as tree, tempfile.TemporaryFile() as tar_file:
        tar_file.write(subprocess.run(["git", "archive", "--format=tar", rev], cwd=ROOT,
                                      check=True, capture_output=True).stdout)
        tar_file.seek(0)
        with tarfile.open(fileobj=tar_file) as tar:
            tar.extractall(tree, filter="data")
        # `python -m bot` from the export's folder imports the export's bot first.
        yield {f"errcode@{rev}": (SERVERS["errcode"], Path(tree)), **servers}


def find_wrk() -> str | None:
    """wrk on PATH, else installed from Debian's packages when we may (root, apt-get)."""
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    print("wrk not found: installing it with apt-get (Debian package `wrk`)...", flush=True)
    for cmd in (["apt-get", "install", "-y", "-qq", "wrk"],
                ["sh", "-c", "apt-get update -qq && apt-get install -y -qq wrk"]):
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        if found := shutil.which("wrk"):
            return found
    return None


def _run_delay(wrk: str, delay_ms: int,
               servers: dict[str, tuple[tuple[str, ...], Path | None]],
               wanted: list[tuple[int, int]]) -> list[Cell]:
    """Every cell at this delay, `RUNS` times with the servers alternating, so all see
    the same machine; noise from other work only adds latency, so the run with the lower
    ack p99 stands for the cell."""
    conns_here = [c for c in CONNECTIONS if (c, delay_ms) in wanted]
    with LocalSlackAPI(response_delay_s=delay_ms / 1000) as api, \
            tempfile.TemporaryDirectory() as tmp:
        best: dict[tuple[str, int], Cell] = {}
        for conns in conns_here:
            for run in range(RUNS):
                for name, (argv, cwd) in servers.items():
                    cell = _run_cell(wrk, api, Path(tmp) / str(run), name, conns, delay_ms,
                                     argv, cwd)
                    kept = best.get((name, conns))
                    if kept is None or cell.ack_p99_ms < kept.ack_p99_ms:
                        best[(name, conns)] = cell
        return [best[(name, conns)] for name in servers for conns in conns_here]


def _run_cell(wrk: str, api: LocalSlackAPI, tmp: Path, name: str, conns: int,
              delay_ms: int, argv: tuple[str, ...], cwd: Path | None) -> Cell:
    port = _free_port()
    tag = f"{name}-{conns}-{delay_ms}".replace("@", "-")
    tmp.mkdir(parents=True, exist_ok=True)  # a database of its own for every run
    env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": api.base_url, "ERRCODE_STORAGE_PATH": str(tmp / f"{tag}.db"),
           "ERRCODE_LOG_LEVEL": "WARNING", "PORT": str(port), "THREADS": str(THREADS)}
    env.pop("SLACK_APP_TOKEN", None)
    server = subprocess.Popen([sys.executable, *argv], env=env, cwd=cwd or ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/slack/events"
        _wait_until_up(port)
        _warm_up(url, api, tag)
        script = tmp / f"{tag}.lua"
        script.write_text(_wrk_script(api.response_url(tag)))
        load_start = time.time()
        out = subprocess.run([wrk, f"-t{min(2, conns)}", f"-c{conns}", f"-d{LOAD_S}s",
                              "--timeout", "10s", "-s", str(script), url],
                             capture_output=True, text=True, check=False).stdout
        load_end = time.time()
        result = _parse_wrk(out)
        posts = _wait_for_posts(api, tag, result["requests"] - result["busy"], load_end)
        rss_mb = _peak_rss_mb(server.pid)
    finally:
        _stop(server)
    answers = [at for at, busy in posts if not busy]
    busy_posted = sum(1 for _, busy in posts if busy)
    owed = max(1, result["requests"])
    by_end = sum(1 for at, _ in posts if at <= load_end) + result["busy"]
    drained = len(posts) + result["busy"] >= result["requests"]
    last = max((at for at, _ in posts), default=load_end)
    span = max((max(answers) if answers else load_end) - load_start, 1e-9)
    return Cell(name, conns, delay_ms, result["requests"], result["p50"] / 1000,
                result["p99"] / 1000, result["bad"] + result["errors"], len(answers),
                result["busy"] + busy_posted, min(1.0, by_end / owed), len(answers) / span,
                max(0.0, last - load_end) if drained else None, rss_mb)


def _wrk_script(response_url: str) -> str:
    """The signed request as a wrk script; signed once (Slack accepts 5 minutes of skew)."""
    req = payloads.slash_command(PASTE, response_url=response_url)
    headers = payloads.signed_headers(SECRET, req)
    return WRK_SCRIPT % {"body": req.body, "ts": headers["X-Slack-Request-Timestamp"],
                         "sig": headers["X-Slack-Signature"], "busy": BUSY}


def _parse_wrk(out: str) -> dict[str, int]:
    line = next((ln for ln in out.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    return {k: int(v) for k, v in (kv.split("=") for kv in line.split()[1:])}


def _wait_for_posts(api: LocalSlackAPI, tag: str, owed: int,
                    load_end: float) -> list[tuple[float, bool]]:
    """(arrival time, is a busy note) of each post to this cell's response_url."""
    deadline = load_end + DRAIN_S
    while True:
        calls = [c for c in api.calls_to("response_url") if c.params.get("_name") == tag]
        if len(calls) >= owed or time.time() >= deadline:
            break
        time.sleep(0.1)
    api.clear()
    return [(c.at, c.params.get("text") == BUSY) for c in calls]


def _warm_up(url: str, api: LocalSlackAPI, tag: str) -> None:
    """A few requests first, so imports and first-use costs are not in the figures."""
    with httpx.Client(timeout=10) as client:
        for _ in range(10):
            req = payloads.slash_command(PASTE, response_url=api.response_url(f"warm-{tag}"))
            client.post(url, content=req.body.encode(),
                        headers=payloads.signed_headers(SECRET, req))
    deadline = time.time() + 5
    while time.time() < deadline and len(
            [c for c in api.calls_to("response_url")
             if c.params.get("_name") == f"warm-{tag}"]) < 10:
        time.sleep(0.05)
    api.clear()


def _peak_rss_mb(pid: int) -> float:
    """Peak RSS of the server and of every process it started (errcode's compute
    children), summed: an upper bound, as each peaked at its own moment."""
    total = 0.0
    for one in (pid, *_children(pid)):
        try:
            status = Path(f"/proc/{one}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) / 1024 for line in status.splitlines()
                       if line.startswith("VmHWM:")), 0.0)
    return total or float("nan")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            kids = [int(k) for k in (task / "children").read_text().split()]
            found += [k for kid in kids for k in (kid, *_children(kid))]
    return found


def _stop(server: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL: a server with a backlog of owed answers may not stop at once."""
    server.terminate()
    try:
        server.wait(3)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(port: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not come up on port {port}")


def _print_table(cells: list[Cell]) -> None:
    print(f"one signed /errcode (a {len(PASTE)}-char curl transcript), {LOAD_S} s per run, "
          f"best of {RUNS} runs by ack p99; Slack stand-in answers response_url after 0 or "
          "100 ms")
    print("| Slack delay | server | conns | acks | ack p50 ms | ack p99 ms | answers/s | "
          "answered | busy | answered at load end | last answer after end | "
          "peak RSS MB (with children) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for c in cells:
        last = f"{c.last_after_s:.2f} s" if c.last_after_s is not None else (
            f"> {DRAIN_S:.0f} s ({c.requests - c.answers - c.busy} left)")
        errs = f" ({c.errors} errors)" if c.errors else ""
        print(f"| {c.delay_ms} ms | {c.server} | {c.connections} | {c.requests}{errs} | "
              f"{c.ack_p50_ms:.1f} | {c.ack_p99_ms:.1f} | {c.answers_per_s:.0f} | "
              f"{c.answers} | {c.busy} | {c.answered_at_end:.0%} | {last} | {c.rss_mb:.0f} |")


def _print_targets(cells: list[Cell]) -> None:
    def at(server: str, conns: int, delay: int) -> Cell | None:
        return next((c for c in cells if (c.server, c.connections, c.delay_ms) ==
                     (server, conns, delay)), None)

    fast_e, fast_b = at("errcode", 50, 0), at("bolt", 50, 0)
    slow_e, slow_b = at("errcode", 50, 100), at("bolt", 50, 100)
    if None in (fast_e, fast_b, slow_e, slow_b):
        print("targets: need both servers at 50 connections, Slack at 0 and 100 ms")
        return
    assert fast_e and fast_b and slow_e and slow_b
    checks = [
        ("50 conns, Slack at once: ack p99 <= bolt's",
         f"{fast_e.ack_p99_ms:.1f} vs {fast_b.ack_p99_ms:.1f} ms",
         fast_e.ack_p99_ms <= fast_b.ack_p99_ms),
        ("50 conns, Slack 100 ms: answers/s >= 4x bolt's",
         f"{slow_e.answers_per_s:.0f} vs {slow_b.answers_per_s:.0f} "
         f"({slow_e.answers_per_s / max(slow_b.answers_per_s, 1e-9):.1f}x)",
         slow_e.answers_per_s >= 4 * slow_b.answers_per_s),
        ("50 conns, Slack 100 ms: nothing left unanswered, last within 5 s",
         "drained" if slow_e.last_after_s is not None else "not drained",
         slow_e.last_after_s is not None and slow_e.last_after_s <= 5),
        ("peak RSS < 100 MB (errcode, every cell)",
         f"max {max(c.rss_mb for c in cells if c.server == 'errcode'):.0f} MB",
         all(c.rss_mb < 100 for c in cells if c.server == "errcode")),
    ]
    for name, figure, ok in checks:
        print(f"target: {name}: {figure}: {'OK' if ok else 'MISSED'}")
