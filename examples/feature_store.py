"""Feature store: point-in-time training data, materialization and online lookups.

Generates 60 days of daily activity for 300 customers, declares an entity and two feature
views (one over a parquet file, one over a DataFrame), builds a training set whose
features are exactly what was known at each label's time, trains a model on it, loads
the latest values into the online store and looks some up, then checks that the online
and offline stores agree.

Run it with ``python examples/feature_store.py`` (``make demo`` does).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

import loopml as lm

CUSTOMERS, DAYS = 300, 60
START = pd.Timestamp("2024-01-01", tz="UTC")


def make_activity(rng: np.random.Generator) -> pd.DataFrame:
    """One row per customer and day: rolling order counts and spend."""
    customer = np.repeat(np.arange(1, CUSTOMERS + 1), DAYS)
    day = np.tile(np.arange(DAYS), CUSTOMERS)
    orders = rng.poisson(1.5, CUSTOMERS * DAYS)
    frame = pd.DataFrame({"customer_id": customer, "day": day, "orders": orders})
    frame["ts"] = START + pd.to_timedelta(frame["day"], unit="D") + pd.Timedelta(hours=23)
    grouped = frame.groupby("customer_id")["orders"]
    frame["orders_7d"] = grouped.transform(lambda s: s.rolling(7, min_periods=1).sum()).astype(
        "int64"
    )
    frame["spend_30d"] = grouped.transform(lambda s: s.rolling(30, min_periods=1).sum()) * 12.5
    return frame[["customer_id", "ts", "orders_7d", "spend_30d"]]


def main() -> None:
    rng = np.random.default_rng(7)
    home = lm.get_client().settings.home
    data = home / "example-data"
    data.mkdir(parents=True, exist_ok=True)
    make_activity(rng).to_parquet(data / "activity.parquet")
    profiles = pd.DataFrame(
        {
            "customer_id": np.arange(1, CUSTOMERS + 1),
            "signed_up": START - pd.to_timedelta(rng.integers(1, 400, CUSTOMERS), unit="D"),
            "tier": rng.choice(["free", "plus", "pro"], CUSTOMERS),
        }
    )

    customer = lm.Entity("customer_id", dtype="int64", description="a paying customer")
    activity = lm.FeatureView(
        "activity",
        customer,
        str(data / "activity.parquet"),
        "ts",
        {"orders_7d": "int64", "spend_30d": "float64"},
        ttl="3d",
    )
    profile = lm.FeatureView("profile", customer, profiles, "signed_up", ["tier"])
    fs = lm.FeatureStore()
    for change in fs.apply([customer, activity, profile]):
        print(f"{change.kind} {change.name}: v{change.version} {change.action}")

    # Labels happen at arbitrary times; each row gets the features known at that moment.
    labels = pd.DataFrame(
        {
            "customer_id": rng.integers(1, CUSTOMERS + 1, 2000),
            "event_timestamp": START + pd.to_timedelta(rng.integers(0, DAYS * 24, 2000), unit="h"),
        }
    )
    train = fs.get_historical_features(
        labels, ["activity:orders_7d", "activity:spend_30d", "profile:tier"]
    )
    risk = 1 / (1 + np.exp(train["orders_7d"].fillna(0).to_numpy(float) / 3 - 3))
    train["churned"] = (rng.random(len(train)) < risk).astype(int)
    print(train.head())
    print(f"rows without activity in the 3-day TTL: {int(train['orders_7d'].isna().sum())}")
    X = pd.get_dummies(train[["orders_7d", "spend_30d", "tier"]].fillna(0), columns=["tier"])
    with lm.start_run("feature-store-demo") as run:
        # The exact training rows become a dataset version linked to the feature views.
        version = fs.log_training_set(train, "churn_training", description="2,000 labels")
        model = LogisticRegression(max_iter=1000).fit(X, train["churned"])
        run.log_metric("train_acc", model.score(X, train["churned"]))
    print(f"training set {version.ref} ({version.num_rows} rows) used by run {run.id[:8]}")

    for result in fs.materialize():
        print(f"materialized {result.view}: {result.entities} entities in {result.seconds:.2f}s")
    now = START + pd.Timedelta(days=DAYS)
    online = fs.get_online_features(
        {"customer_id": [1, 2, 3]}, ["activity:*", "profile:tier"], now=now
    )
    print("online:", online)
    report = fs.check("activity", sample=50)
    print(f"online/offline check: {report.matching}/{report.sampled} match")
    print("look next: loopml features list")
    print("           lm.load_dataset('churn_training')   # the exact training rows")
    print("           loopml features get -e customer_id=1,2 -f activity:orders_7d")
    print("           loopml features serve   # POST /online-features")


if __name__ == "__main__":
    main()
