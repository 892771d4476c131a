"""Datasets: version a table by content, profile it, load any version, trace who used it.

Builds a small customer table, logs it as dataset versions (re-logging the same content
returns the same version), loads an old version back, and links versions to runs.

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

    with lm.start_run("datasets-demo", name="train"):
        old = lm.load_dataset("customers", version=1)  # recorded as used by this run
    print(
        f"loaded {len(old)} rows of customers@1; versions: "
        + ", ".join(v.ref for v in lm.list_dataset_versions("customers"))
    )
    print("look: loopml datasets list; loopml datasets show customers")


if __name__ == "__main__":
    main()
