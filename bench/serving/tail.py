"""Concurrency-1 tail, CPU per request and cold start: ``loopml serve`` vs a bare-ASGI floor.

Issue 16 items 5 and 6. For each round (interleaved, ``--repeat`` rounds) every server
is started fresh, pinned to core 0, and timed:

* ``floor``: the harness's bare ASGI app (``floor_app:raw_app``: orjson in, ``predict``,
  orjson out) on uvicorn with the same loop and HTTP parser, loading the same pickle;
* ``full``: ``loopml serve MODEL@champion`` (validation, metrics, prediction log with
  scores, adaptive batching);
* ``nobatch``: the same with ``--no-batching``; ``nolog``: with ``--no-log``;
* ``base`` (with ``--base-src DIR``): ``full`` from another checkout's sources, so that a
  change's before and after run interleaved in one sitting.

Cold start is the time from ``Popen`` to the first 200 on a route that answers once the
model is loaded (``/v2/health/ready`` for loopml, the prediction route for the floor,
which has no health route), and the server's CPU seconds until then (steadier than wall
time on a busy machine). Servers may write bytecode caches (``PYTHONDONTWRITEBYTECODE``
is dropped for them, as an installed package has its caches), and one untimed start of
each server comes first. Load is one keep-alive connection from a blocking client
pinned to core 1, sending ``--requests`` single-row JSON POSTs after a warm-up; server
CPU per request is the user+system time of the server process over those requests.
Prints one JSON line per measurement and a summary line with medians and ratios to the
floor.

    .venv/bin/python bench/serving/tail.py --model lr --requests 20000 --repeat 3
    .venv/bin/python bench/serving/tail.py --model lr --cold-only --repeat 7 --variants floor,full
    .venv/bin/python bench/serving/tail.py --smoke
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from run_loopml import _peers_dir, harness, registry_home

LOOPML_VARIANTS = {"full": [], "nobatch": ["--no-batching"], "nolog": ["--no-log"]}


def _pin(cpus: str, cmd: list[str]) -> list[str]:
    return ["taskset", "-c", cpus, *cmd] if shutil.which("taskset") else cmd


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Conn:
    """One keep-alive HTTP/1.1 connection with a minimal blocking request loop."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.sock.sendall(head + body)
        while b"\r\n\r\n" not in self.buf:
            self._more()
        header, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status = int(header.split(b" ", 2)[1])
        length, chunked = 0, False
        for line in header.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            return status, self._chunks()
        while len(self.buf) < length:
            self._more()
        out, self.buf = self.buf[:length], self.buf[length:]
        return status, out

    def _chunks(self) -> bytes:
        out = b""
        while True:
            while b"\r\n" not in self.buf:
                self._more()
            size_line, self.buf = self.buf.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(self.buf) < size + 2:
                self._more()
            out, self.buf = out + self.buf[:size], self.buf[size + 2 :]
            if size == 0:
                return out

    def _more(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def close(self) -> None:
        self.sock.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(port: int, method: str, path: str, body: bytes, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.perf_counter() + 120
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            conn = Conn(port)
            try:
                if conn.request(method, path, body)[0] == 200:
                    return
            finally:
                conn.close()
        except OSError:
            pass
        time.sleep(0.01)
    raise TimeoutError("server not ready in 120 s")


def measure(cmd, env, ready, bodies, requests, warmup) -> dict:
    """Start one server, time its cold start, drive c=1 load; return the figures."""
    port = _free_port()
    cmd = [a.replace("{port}", str(port)) for a in cmd]
    started = time.perf_counter()
    proc = subprocess.Popen(
        _pin(os.environ.get("SERVE_BENCH_SERVER_CPUS", "0"), cmd),
        env={k: v for k, v in {**os.environ, **env}.items() if k != "PYTHONDONTWRITEBYTECODE"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait(port, *ready, proc)
        cold = time.perf_counter() - started
        cold_cpu = _cpu_s(proc.pid)
        if not requests:
            return {"cold_start_s": round(cold, 3), "cold_start_cpu_s": round(cold_cpu, 3)}
        conn = Conn(port)
        n = len(bodies)
        for i in range(warmup):
            conn.request("POST", "/predict", bodies[i % n])
        latencies = [0.0] * requests
        cpu0 = _cpu_s(proc.pid)
        errors = 0
        t0 = time.perf_counter()
        for i in range(requests):
            t = time.perf_counter_ns()
            status, _ = conn.request("POST", "/predict", bodies[i % n])
            latencies[i] = (time.perf_counter_ns() - t) / 1e6
            errors += status != 200
        wall = time.perf_counter() - t0
        cpu = _cpu_s(proc.pid) - cpu0
        conn.close()
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
    q = statistics.quantiles(latencies, n=1000)
    return {
        "cold_start_s": round(cold, 3),
        "cold_start_cpu_s": round(cold_cpu, 3),
        "requests": requests,
        "errors": errors,
        "rps": round(requests / wall, 1),
        "p50_ms": round(q[499], 4),
        "p99_ms": round(q[989], 4),
        "p999_ms": round(q[998], 4),
        "cpu_ms_per_req": round(cpu * 1000 / requests, 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="lr", choices=["lr", "hgb"])
    ap.add_argument("--variants", default="floor,full,nobatch")
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--warmup", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peers-dir", default=_peers_dir())
    ap.add_argument("--smoke", action="store_true", help="one short round (CI)")
    ap.add_argument(
        "--cold-only",
        action="store_true",
        help="time cold starts only (no load: --requests 0); use a larger --repeat",
    )
    ap.add_argument(
        "--base-src",
        default=None,
        help="another checkout's src folder: adds the variant 'base' (`loopml serve` from "
        "those sources, interleaved with the others: before/after in one sitting)",
    )
    a = ap.parse_args()
    if a.smoke:
        a.requests, a.warmup, a.repeat = 300, 50, 1
    if a.cold_only:
        a.requests, a.warmup = 0, 0
    C = harness(a.peers_dir)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    client_cpus = os.environ.get("SERVE_BENCH_CLIENT_CPUS", "1")
    if hasattr(os, "sched_setaffinity") and os.cpu_count() and os.cpu_count() > 1:
        os.sched_setaffinity(0, {int(c) for c in client_cpus.split(",")})
    home = registry_home(C, a.model)
    bodies = [json.dumps({"inputs": [r]}).encode() for r in C.load_requests(200)]
    exe = str(Path(sys.executable).with_name("loopml"))
    servers = {
        "floor": (
            [
                sys.executable,
                "-m",
                "uvicorn",
                "floor_app:raw_app",
                "--port",
                "{port}",
                "--log-level",
                "warning",
                "--no-access-log",
                "--app-dir",
                a.peers_dir,
            ],
            {"FLOOR_MODEL": a.model, "SERVE_BENCH_STATE": os.path.abspath(C.STATE)},
            ("POST", "/predict", bodies[0]),
        )
    }
    for name, extra in LOOPML_VARIANTS.items():
        servers[name] = (
            [exe, "serve", f"{a.model}@champion", "--port", "{port}", *extra],
            {"LOOPML_HOME": home},
            ("GET", "/v2/health/ready", b""),
        )
    if a.base_src:
        cmd, env, ready = servers["full"]
        servers["base"] = (cmd, {**env, "PYTHONPATH": os.path.abspath(a.base_src)}, ready)
    variants = a.variants.split(",") + (["base"] if a.base_src else [])
    results: dict[str, list[dict]] = {v: [] for v in variants}
    for variant in dict.fromkeys(v if v in ("floor", "base") else "full" for v in variants):
        cmd, env, ready = servers[variant]
        measure(cmd, env, ready, bodies, 10, 0)  # untimed: bytecode caches, page cache
    for round_ in range(a.repeat):
        for variant in variants:
            cmd, env, ready = servers[variant]
            rec = measure(cmd, env, ready, bodies, a.requests, a.warmup)
            rec.update(variant=variant, model=a.model, round=round_)
            rec["loadavg_1m"] = round(os.getloadavg()[0], 2)
            results[variant].append(rec)
            print(json.dumps(rec), flush=True)
    summary: dict = {"summary": True, "model": a.model, "loadavg_1m": round(os.getloadavg()[0], 2)}
    keys: tuple[str, ...] = ("cold_start_s", "cold_start_cpu_s")
    if a.requests:
        keys += ("p50_ms", "p99_ms", "cpu_ms_per_req")
    for variant, recs in results.items():
        summary[variant] = {k: round(statistics.median(r[k] for r in recs), 4) for k in keys}
    if "floor" in summary:
        for variant in variants:
            if variant != "floor":
                summary[f"{variant}/floor"] = {
                    k: round(summary[variant][k] / summary["floor"][k], 3) for k in keys
                }
    if "full" in summary and "nobatch" in summary:
        summary["full/nobatch"] = {
            k: round(summary["full"][k] / summary["nobatch"][k], 3) for k in keys
        }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
