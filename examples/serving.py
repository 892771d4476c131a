"""Serve a registered model: JSON and V2 predictions, feedback, metrics, the log, batch scoring.

Run it with ``python examples/serving.py`` (it uses ``LOOPML_HOME`` or ./.loopml).
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

import httpx
import pandas as pd
import uvicorn
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import loopml as lm


def main() -> None:
    data = load_breast_cancer(as_frame=True)
    x = data.frame.drop(columns="target").iloc[:, :8]
    x.columns = [c.replace(" ", "_") for c in x.columns]
    y = data.frame["target"]
    with lm.start_run("serving-demo") as run:
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(x, y)
        ref = run.log_model(model, "model", example=x.head(5))
    version = lm.register_model(ref, "tumors")
    lm.set_alias("tumors", "champion", version.version)

    built = lm.build_server("tumors@champion", poll_interval=0.2, flush_interval=0.2)
    server = uvicorn.Server(
        uvicorn.Config(built.app, host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}")

    records = x.head(3).to_dict(orient="records")
    answer = client.post("/predict", json={"records": records}).json()
    print("predictions", answer["predictions"], "from version", answer["model_version"])
    v2 = client.post(
        "/v2/models/tumors/infer",
        json={"inputs": [{"name": "input-0", "shape": [1, 8], "datatype": "FP64",
                          "data": x.iloc[0].tolist()}]},
    ).json()  # fmt: skip
    print("V2 output", v2["outputs"][0])
    bad = client.post("/predict", json={"records": [{**records[0], "mean_radius": "big"}]})
    print("bad input ->", bad.status_code, bad.json()["message"][:70])
    for prediction_id, label in zip(answer["prediction_ids"], y.head(3), strict=True):
        client.post("/feedback", json={"prediction_id": prediction_id, "label": int(label)})

    retrained = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=500)).fit(x, y)
    with lm.start_run("serving-demo") as run:
        challenger = lm.register_model(
            run.log_model(retrained, "model", example=x.head(5)), "tumors"
        )
    lm.set_alias("tumors", "champion", challenger.version)  # hot swap: no restart
    while client.post("/predict", json={"records": records[:1]}).json()["model_version"] != (
        challenger.version
    ):
        time.sleep(0.05)
    print("alias moved; now serving version", challenger.version)
    print([m for m in client.get("/metrics").text.splitlines() if "model_loads_total{" in m][:2])
    server.should_exit = True
    thread.join()

    log = lm.predictions("tumors", since="1h", with_feedback=True)
    print(log[["prediction_id", "model_version", "prediction", "score", "label"]].head())
    with tempfile.TemporaryDirectory() as tmp:
        x.to_parquet(Path(tmp) / "patients.parquet")
        result = lm.predict_batch("tumors@champion", Path(tmp) / "patients.parquet",
                                  Path(tmp) / "scored.csv", scores=True)  # fmt: skip
        print(f"batch scored {result.rows} rows;", pd.read_csv(result.output).columns[-2:].tolist())
    print("serve it yourself: loopml serve tumors@champion --port 8000")


if __name__ == "__main__":
    main()
