"""Markdown tables (medians per server, model and concurrency) from benchmark JSON lines.

python bench/serving/summarize.py bench/serving/results/sitting1.jsonl
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

ORDER = [
    "floor-raw", "loopml-full", "loopml-nolog", "loopml-nobatch", "loopml-shadow",
    "mlflow-split", "bentoml-plain", "bentoml-batch", "mlserver-default", "mlserver-pw0",
    "mlserver-batch",
]  # fmt: skip


def median(records, key):
    values = [r[key] for r in records if r.get(key) is not None]
    return round(statistics.median(values), 3) if values else None


def main(paths):
    s1 = defaultdict(list)
    other = []
    for path in paths:
        for line in Path(path).read_text().splitlines():
            record = json.loads(line)
            if record.get("workload") == "S1":
                s1[(record["peer"], record["model"], record["concurrency"])].append(record)
            else:
                other.append(record)
    print("| server | model | c | CPU ms/req | p50 ms | p99 ms | req/s | errors | cold s | runs |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    peers = ORDER + sorted({p for p, _, _ in s1} - set(ORDER))
    for peer in peers:
        for model in ("lr", "hgb"):
            for c in (1, 16):
                rs = s1.get((peer, model, c))
                if rs:
                    print(
                        f"| {peer} | {model} | {c} | {median(rs, 'server_cpu_ms_per_req')} | "
                        f"{median(rs, 'p50_ms')} | {median(rs, 'p99_ms')} | {median(rs, 'rps')} | "
                        f"{sum(r['errors'] for r in rs)} | {median(rs, 'cold_start_s')} | "
                        f"{len(rs)} |"
                    )
    for record in other:
        print(json.dumps(record))


if __name__ == "__main__":
    main(sys.argv[1:])
