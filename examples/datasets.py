"""Datasets: version a table by content, profile it, validate, diff, trace who used it.

Builds a small customer table, logs it as dataset versions (re-logging the same content
returns the same version), attaches a schema inferred from the first version so that a
broken export is refused, diffs two versions, loads an old version back, and links
versions to runs.

Run it with ``python examples/datasets.py`` (``make demo`` does).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import loopml as lm


def customers(n: int, seed: int) -> pd.DataFrame:
    """A deterministic customer table."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "customer_id": np.arange(n),
            "age": rng.integers(18, 90, n),
            "spend": rng.gamma(2.0, 50.0, n).round(2),
            "city": rng.choice(["berlin", "paris", "rome", "oslo"], n, p=[0.4, 0.3, 0.2, 0.1]),
            "churned": rng.random(n) < 0.2,
        }
    )


def main() -> None:
    v1 = lm.log_dataset(customers(5_000, seed=1), "customers", description="January export")
    again = lm.log_dataset(customers(5_000, seed=1), "customers")
    print(f"logged {v1.ref} digest {v1.short_digest}; same content again -> {again.ref}")

    march = customers(6_000, seed=2)
    with lm.start_run("datasets-demo", name="clean-march") as run:
        v2 = lm.log_dataset(
            march[march.age < 80], "customers", derived_from=[v1], relation="produced"
        )
    print(f"run {run.id[:8]} produced {v2.ref} ({v2.num_rows} rows)")

    spend = v2.profile["spend"]
    print(
        f"spend: mean {spend.mean:.1f}, median {spend.quantile(0.5):.1f}, "
        f"nulls {spend.null_count}; top cities: "
        + ", ".join(f"{v.value}={v.count}" for v in v2.profile["city"].top_values)
    )

    # Gate: every new version must look like January (types, ranges, categories).
    lm.set_dataset_schema("customers", lm.Schema.from_profile(v1.profile, margin=0.1))
    broken = customers(1_000, seed=3)
    broken.loc[:9, "age"] = -1
    broken.loc[10:14, "city"] = "atlantis"
    try:
        lm.log_dataset(broken, "customers")
    except lm.DataValidationError as err:
        print(
            f"refused a broken export: {err.report.failed_row_count} bad rows, columns "
            f"{err.report.failed_columns}"
        )

    diff = lm.diff_datasets("customers@1", "customers@2")
    spend_change = next(c for c in diff.columns if c.name == "spend")
    print(
        f"diff {diff.old} -> {diff.new}: rows {diff.old_rows} -> {diff.new_rows}, "
        f"changed {diff.changed}, spend mean shift {spend_change.mean_shift:+.2f} sd"
    )

    with lm.start_run("datasets-demo", name="train"):
        old = lm.load_dataset("customers", version=1)  # recorded as used by this run
    print(
        f"loaded {len(old)} rows of customers@1; versions: "
        + ", ".join(v.ref for v in lm.list_dataset_versions("customers"))
    )
    print("look: loopml datasets list; loopml datasets show customers")


if __name__ == "__main__":
    main()
