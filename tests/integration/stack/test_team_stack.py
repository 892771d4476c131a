"""The whole platform on the team stack, moved there by one ``loopml.yaml``.

Metadata on PostgreSQL, artifacts (blobs, model packages, the prediction log) on an
S3-compatible server (moto's server mode), online features on Redis, pipeline steps on a
Dask cluster whose workers have no AWS settings of their own (the storage options travel
with the run's settings). Tracking, a pipeline on Dask, the registry, the feature store,
a live model server with feedback, and a monitor over its prediction log.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

import loopml as lm
from tests.serving.conftest import LiveServer

FEATURES = ["mean radius", "mean texture", "mean perimeter", "mean area"]


@lm.step
def load_frame() -> pd.DataFrame:
    data = load_breast_cancer(as_frame=True)
    return data.frame[[*FEATURES, "target"]]


@lm.step
def fit(frame: pd.DataFrame, c: float) -> Pipeline:
    model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=500))
    model.fit(frame[FEATURES], frame["target"])
    lm.log_metric("train_acc", float(model.score(frame[FEATURES], frame["target"])))
    return model


@lm.step
def best(models: list[Pipeline], frame: pd.DataFrame) -> int:
    scores = [m.score(frame[FEATURES], frame["target"]) for m in models]
    return int(np.argmax(scores))


@lm.pipeline
def stack_training(grid: list[float] = [0.1, 1.0]):  # noqa: B006
    frame = load_frame()
    return best([fit(frame, c) for c in grid], frame)


def test_one_settings_file_moves_everything_to_the_team_stack(stack_project, s3_bucket, s3_fs):
    bucket, _ = s3_bucket
    client = lm.get_client()
    assert client.settings.db_url.startswith("postgresql")
    assert client.settings.artifacts == f"s3://{bucket}/loopml"

    # tracking: params, metrics and an artifact land in PostgreSQL and S3
    with lm.start_run("stack", name="baseline") as run:
        run.log_params({"c": 1.0})
        run.log_metrics({"acc": 0.9}, step=1)
        run.log_dict({"features": FEATURES}, "features.json")
    found = lm.search_runs("stack", "metrics.acc > 0.5")
    assert list(found["run_id"]) == [run.id]
    assert s3_fs.find(f"{bucket}/loopml/blobs/sha256"), "no blob was written to S3"

    # a pipeline whose steps run on the Dask workers, outputs in S3
    piped = stack_training.run()
    assert piped.status == "SUCCEEDED"
    assert piped.info.executor.startswith("dask://")
    assert piped.outputs in (0, 1)
    fit_run = lm.get_run(piped.step("fit[0]").run_id)
    assert fit_run.metrics["train_acc"] > 0.8
    again = stack_training.run()
    assert {s.status for s in again.steps} == {"CACHED"}

    # registry: package the chosen model, register it, point champion at it
    frame = load_breast_cancer(as_frame=True).frame
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    model.fit(frame[FEATURES], frame["target"])
    with lm.start_run("stack", name="champion"):
        package = lm.log_model(model, "model", example=frame[FEATURES].head(5))
    version = lm.register_model(package, "cancer")
    lm.set_alias("cancer", "champion", version.version)
    loaded = lm.load_model("models:/cancer@champion")
    assert len(loaded.predict(frame[FEATURES].head(3))) == 3

    # feature store: offline snapshot in S3, materialized into Redis, looked up online
    start = pd.Timestamp("2024-01-01", tz="UTC")
    activity = pd.DataFrame(
        {
            "patient_id": np.repeat([1, 2, 3], 4),
            "ts": [start + pd.Timedelta(days=d) for d in range(4)] * 3,
            "visits": np.arange(12, dtype="int64"),
        }
    )
    patient = lm.Entity("patient_id", dtype="int64")
    view = lm.FeatureView("activity", patient, activity, "ts", {"visits": "int64"})
    fs = lm.FeatureStore()
    fs.apply([patient, view])
    assert sum(r.entities for r in fs.materialize()) == 3
    online = fs.get_online_features(
        {"patient_id": [1, 3]}, ["activity:visits"], now=start + pd.Timedelta(days=5)
    )
    assert list(online["visits"]) == [3, 11]

    # serving: a live server on the champion, predictions and feedback logged to S3
    lm.save_monitor(
        lm.Monitor("cancer", reference=frame[FEATURES], rules=["drift.share > 0.5:warning"])
    )
    built = lm.build_server("cancer@champion", poll_interval=0.1, flush_interval=0.1)
    with LiveServer(built) as server:
        rows = frame[FEATURES].head(200)
        reply = server.client.post("/predict", json={"dataframe_records": rows.to_dict("records")})
        assert reply.status_code == 200, reply.text
        ids = reply.json()["prediction_ids"]
        labels = [
            {"prediction_id": i, "label": int(y)}
            for i, y in zip(ids, frame["target"].head(200), strict=True)
        ]
        assert server.client.post("/feedback", json={"feedback": labels}).status_code == 200
        built.predlog.flush()
        assert server.client.get("/metrics").status_code == 200
    assert s3_fs.find(f"{bucket}/loopml/events"), "the prediction log did not reach S3"
    logged = lm.predictions("cancer", limit=1000)
    assert len(logged) == 200

    # monitoring: the monitor reads the prediction log and the feedback from S3
    result = lm.run_monitor("cancer")
    assert result.rows == 200
    assert result.labelled == 200
    assert result.metrics["performance.accuracy"] > 0.8
    # nothing went to the local home: the stack holds everything
    assert not (client.settings.home / "artifacts").exists()
