"""CPU per request of the serving app without HTTP: ``loopml serve``'s ASGI app vs the floor.

Issue 16 item 5 asks where the model server's CPU per request goes beyond the bare-ASGI
floor. Over HTTP (``tail.py``) uvicorn's share and the socket make that figure noisy (two
runs of the same server differ by 10 %); here each app is called directly on a uvloop
event loop, ``--requests`` times with the same single-row bodies, in one process, and the
process CPU time (every thread: the prediction-log writer included) is divided by the
requests. Variants run interleaved, ``--repeat`` rounds:

* ``floor``: the harness's bare ASGI app (orjson in, ``predict``, orjson out);
* ``full``: the app ``loopml serve MODEL@champion`` builds (validation, metrics,
  prediction log with scores, adaptive batching), started as the server starts it;
* ``nobatch`` / ``nolog``: the same with batching off / without the prediction log.

Prints one JSON line per measurement and a summary with medians and ratios to the floor.
``full`` over-counts the prediction log: in this CPU-bound loop its thread, once awake,
waits for the GIL through every release by the model (a server idles between requests),
so ``tail.py`` over HTTP is the reference for that variant.

    .venv/bin/python bench/serving/inproc.py --model lr --requests 30000 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from typing import Any

from run_loopml import _peers_dir, harness, registry_home

VARIANTS: dict[str, dict[str, Any]] = {
    "full": {},
    "nobatch": {"max_batch_size": 1},
    "nolog": {"log_predictions": False},
}


def loopml_app(home: str, model: str, **options: Any) -> tuple[Any, Any, Any]:
    """Build the app ``loopml serve`` would serve; return it, its start and its stop.

    Each app's background threads run only while that app is measured: in a CPU-bound
    loop, a thread that woke up waits for the GIL through every release by the model and
    would inflate whichever variant is measured meanwhile, the floor's included.
    """
    from loopml.serving.server import ServeConfig, build, store_source

    built = build(ServeConfig(f"{model}@champion", **options), store_source({"home": home}))
    assert built.app.on_startup is not None
    assert built.app.on_shutdown is not None
    return built.app, built.app.on_startup, built.app.on_shutdown


def floor_app(peers_dir: str, model: str, state: str) -> Any:
    """The harness's bare ASGI app over the same model."""
    os.environ["FLOOR_MODEL"] = model
    os.environ["SERVE_BENCH_STATE"] = state
    sys.path.insert(0, peers_dir)
    import floor_app as floor  # type: ignore[import-not-found]

    return floor.raw_app


async def drive(app: Any, bodies: list[bytes], requests: int) -> tuple[float, float, int]:
    """Call ``app`` with POST /predict ``requests`` times; return CPU s, wall s, errors."""
    statuses: list[int] = []
    sent = statuses.append

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent(message["status"])

    n = len(bodies)
    scopes = []
    for body in bodies:
        headers = [
            (b"host", b"x"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        scopes.append({"type": "http", "method": "POST", "path": "/predict", "headers": headers})
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for i in range(requests):
        message = {"type": "http.request", "body": bodies[i % n], "more_body": False}

        async def receive(message: dict[str, Any] = message) -> dict[str, Any]:
            return message

        await app(scopes[i % n], receive, send)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return cpu, wall, sum(s != 200 for s in statuses)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="lr", choices=["lr", "hgb"])
    ap.add_argument("--variants", default="floor,full,nobatch,nolog")
    ap.add_argument("--requests", type=int, default=30000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--peers-dir", default=_peers_dir())
    a = ap.parse_args()
    import uvloop

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    C = harness(a.peers_dir)
    home = registry_home(C, a.model)
    os.environ["LOOPML_HOME"] = home
    bodies = [json.dumps({"inputs": [r]}).encode() for r in C.load_requests(200)]
    variants = a.variants.split(",")
    apps: dict[str, Any] = {}
    hooks: dict[str, tuple[Any, Any]] = {}
    for variant in variants:
        if variant == "floor":
            apps[variant] = floor_app(a.peers_dir, a.model, os.path.abspath(C.STATE))
        else:
            app, start, stop = loopml_app(home, a.model, **VARIANTS[variant])
            apps[variant] = app
            hooks[variant] = (start, stop)

    def measured(variant: str, requests: int) -> tuple[float, float, int]:
        start, stop = hooks.get(variant, (None, None))
        if start is not None:
            start()
        try:
            return loop.run_until_complete(drive(apps[variant], bodies, requests))
        finally:
            if stop is not None:
                stop()

    results: dict[str, list[float]] = {v: [] for v in variants}
    loop = uvloop.new_event_loop()
    for variant in variants:  # warm-up: caches, first-call imports
        measured(variant, 2000)
    for round_ in range(a.repeat):
        for variant in variants:
            cpu, wall, errors = measured(variant, a.requests)
            us = cpu * 1e6 / a.requests
            results[variant].append(us)
            print(json.dumps({
                "variant": variant, "round": round_, "cpu_us_per_req": round(us, 2),
                "wall_us_per_req": round(wall * 1e6 / a.requests, 2), "errors": errors,
                "loadavg_1m": round(os.getloadavg()[0], 2),
            }), flush=True)  # fmt: skip
    summary: dict[str, Any] = {"summary": True, "model": a.model, "requests": a.requests}
    for variant, values in results.items():
        summary[variant] = round(statistics.median(values), 2)
    if "floor" in summary:
        for variant in variants:
            if variant != "floor":
                summary[f"{variant}/floor"] = round(summary[variant] / summary["floor"], 3)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
