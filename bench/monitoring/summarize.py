"""Print the M1/M2/M3 figures of results.jsonl as Markdown tables (python summarize.py [FILE])."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(path: Path) -> None:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    print(
        "| workload | tool (variant) | CPU s (median) | wall s | extra MB | found | FP "
        "| CPU vs loopml |"
    )
    print("|---|---|---|---|---|---|---|---|")
    ours = {
        r["workload"]: r.get("cpu_s_median")
        for r in rows
        if r["tool"] == "loopml" and r["variant"] == "default"
    }
    for r in rows:
        if r["workload"] == "M3":
            continue
        q = r.get("quality", {})
        cpu = r.get("cpu_s_median")
        ratio = f"{cpu / ours[r['workload']]:.1f}x" if cpu and ours.get(r["workload"]) else "-"
        err = f" ({r['errors'][0][:40]})" if r.get("errors") else ""
        wall, extra = r.get("wall_s_median"), r.get("peak_minus_baseline_mb_median")
        found, fp = q.get("n_tp", "-"), q.get("n_fp", "-")
        name = f"{r['tool']} ({r['variant']}){err}"
        print(
            f"| {r['workload']} | {name} | {cpu} | {wall} | {extra} | {found}/6 | {fp} | {ratio} |"
        )
    print()
    print(
        "| M3 tool (variant) | CPU ms / batch | batches | false-alarm batches < 120 "
        "| delay (any true column) | delay 3-in-a-row | per column delay |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if r["workload"] != "M3" or not r.get("reps_ok"):
            continue
        q = r["quality"]
        per_batch = 1000 * r["cpu_s_median"] / q["batches_evaluated"]
        print(
            f"| {r['tool']} ({r['variant']}) | {per_batch:.1f} | {q['batches_evaluated']} | "
            f"{q['false_alarm_batches_before_120']} / {q['batches_evaluated_before_120']} | "
            f"{q['detection_delay_true_column']} | {q['detection_delay_sustained3_true_column']} | "
            f"{q['per_column_delay']} |"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("results.jsonl"))
