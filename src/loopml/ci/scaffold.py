"""``loopml init DIR``: a git-ready project with a pipeline, a monitor, a loop, tests and CI.

The GitHub Actions workflow runs ``make test`` and then ``loopml ci`` on the model the
bootstrap trained, publishing the Markdown report in the job summary and the JUnit XML
as an artifact. Nothing is downloaded at run time: the data is synthetic and seeded.
"""

from __future__ import annotations

import re
from pathlib import Path

from loopml.errors import AlreadyExists, InvalidInput

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$")

PIPELINES = '''"""The training pipeline: the loop calls it with the retraining set as ``data``."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

import loopml as lm

FEATURES = ["tenure", "spend", "visits"]


def synthetic(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Seeded example rows (replace with your data source)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, 3)), columns=FEATURES)
    frame["label"] = (frame.tenure + 1.5 * frame.spend + rng.normal(0, 0.3, n) > 0).astype(int)
    return frame


@lm.step
def load(data: str) -> pd.DataFrame:
    """The dataset version the loop built, or the example data."""
    return lm.load_dataset(data) if data else synthetic()


@lm.step
def train(frame: pd.DataFrame) -> Pipeline:
    """Fit the model."""
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    return model.fit(frame[FEATURES], frame["label"])


@lm.pipeline(name="{name}_training")
def training(data: str = ""):
    return train(load(data))
'''

BEHAVIOUR = '''"""Behavioural tests: plain functions of the model; an assert fails the gate."""

from __future__ import annotations

import pandas as pd


def test_longer_tenure_never_lowers_the_prediction(model) -> None:
    """Directional: more tenure, same or higher class."""
    low = pd.DataFrame({{"tenure": [-1.0], "spend": [0.0], "visits": [0.0]}})
    high = low.assign(tenure=[2.0])
    assert model.predict(high)[0] >= model.predict(low)[0]


def test_visits_noise_does_not_flip_clear_cases(model) -> None:
    """Invariance: a tiny change of visits keeps a clear prediction."""
    clear = pd.DataFrame({{"tenure": [3.0], "spend": [3.0], "visits": [0.0]}})
    assert model.predict(clear)[0] == model.predict(clear.assign(visits=[0.01]))[0]
'''

BOOTSTRAP = '''"""Train and deploy the first champion, holdout, monitor and loop (re-runnable)."""

from __future__ import annotations

import loopml as lm
from pipelines import FEATURES, synthetic, train

if __name__ == "__main__":
    model = train(synthetic())
    with lm.start_run("{name}-bootstrap"):
        package = lm.log_model(model, "model", example=synthetic(5)[FEATURES])
    version = lm.register_model(package, "{name}")
    lm.log_dataset(synthetic(500, seed=1), "{name}-holdout")
    if "champion" not in lm.get_registered_model("{name}").aliases:
        lm.set_alias("{name}", "champion", version.version, reason="bootstrap")
    reference = synthetic(2000)[FEATURES]
    rules = ["drift.share > 0.3:critical"]
    lm.save_monitor(lm.Monitor("{name}", reference=reference, window="1h", rules=rules))
    lm.get_client().loops.apply_file("loopml.yaml")
    champion = lm.get_model_version("{name}", "champion").version
    print(f"{name} version {{version.version}} registered; champion is version {{champion}}")
'''

YAML = """# loopml project settings: the loop that keeps {name} fresh, and the gates CI runs.
loops:
  - name: {name}
    model: {name}
    pipeline: pipelines.py:training
    monitor: {name}
    triggers:
      - {{type: alert}}
      - {{type: performance, metric: accuracy, floor: 0.8, last_n: 200}}
    gates: &gates
      - {{type: signature}}
      - {{type: beats_champion, margin: 0.0, min_labels: 200}}
      - {{type: metric_floor, metric: accuracy, min: 0.8, min_labels: 200}}
      - {{type: latency, p95_ms: 50}}
      - {{type: behaviour, tests: ["behaviour:test_longer_tenure_never_lowers_the_prediction",
                                  "behaviour:test_visits_noise_does_not_flip_clear_cases"]}}
    training: {{window: 1d, min_labels: 200, holdout: 0.3}}
    rollout: {{canary_percent: 10, duration: 10m, quality_margin: 0.02}}
    cooldown: 1h

ci:
  model: {name}
  evaluation: {name}-holdout@latest
  gates: *gates
"""

TESTS = '''"""Unit tests of the project (``make test``)."""

from __future__ import annotations

import behaviour
from pipelines import FEATURES, synthetic, train


def test_the_model_learns_the_example_data() -> None:
    frame = synthetic(1000)
    model = train.fn(frame)
    assert (model.predict(frame[FEATURES]) == frame["label"]).mean() > 0.9


def test_behavioural_tests_pass_on_a_fitted_model() -> None:
    model = train.fn(synthetic(1000))
    behaviour.test_longer_tenure_never_lowers_the_prediction(model)
    behaviour.test_visits_noise_does_not_flip_clear_cases(model)
'''

MAKEFILE = """.PHONY: test bootstrap ci
test:
\tpython -m pytest -q tests

bootstrap:
\tpython bootstrap.py

ci: bootstrap
\tloopml ci --junit loopml-ci.xml --markdown loopml-ci.md
"""

WORKFLOW = """name: model-ci
"on":
  push:
    branches: [main]
  pull_request:
jobs:
  test-and-gate:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    env:
      LOOPML_HOME: ${{{{ github.workspace }}}}/.loopml
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install
        run: pip install loopml pytest
      - name: Unit tests
        run: make test
      - name: Train the candidate
        run: python bootstrap.py
      - name: Model gates
        run: loopml ci --junit loopml-ci.xml --markdown loopml-ci.md
      - name: Gate report
        if: always()
        run: cat loopml-ci.md >> "$GITHUB_STEP_SUMMARY"
      - uses: actions/upload-artifact@v4
        if: always()
        with:
          name: loopml-ci
          path: |
            loopml-ci.xml
            loopml-ci.md
"""

README = """# {name}

A loopml project: a training pipeline, a monitor, a closed loop and model CI.

```
pip install loopml pytest
make test          # unit and behavioural tests
python bootstrap.py  # train v1, make it champion, save the monitor and apply the loop
loopml ci          # gate the newest version against the champion (JUnit + Markdown)
loopml serve {name}@champion --canary {name}@challenger:10
loopml scheduler   # monitors and the loop, unattended
```

- `pipelines.py`: the training pipeline (the loop passes the retraining set as `data`).
- `behaviour.py`: behavioural tests, run as a gate.
- `loopml.yaml`: the loop (triggers, gates, rollout) and the CI gates.
- `.github/workflows/model-ci.yml`: runs `make test` and `loopml ci` on every push.
"""

GITIGNORE = ".loopml/\nloopml-ci.xml\nloopml-ci.md\n__pycache__/\n"


def files(name: str) -> dict[str, str]:
    """The scaffold's files, path -> text."""
    fill = {"name": name}
    return {
        "pipelines.py": PIPELINES.replace("{name}", name),
        "behaviour.py": BEHAVIOUR.format(**fill),
        "bootstrap.py": BOOTSTRAP.format(**fill),
        "loopml.yaml": YAML.format(**fill),
        "tests/test_project.py": TESTS,
        "tests/conftest.py": "import sys\nfrom pathlib import Path\n\n"
        "sys.path.insert(0, str(Path(__file__).resolve().parents[1]))\n",
        "Makefile": MAKEFILE,
        ".github/workflows/model-ci.yml": WORKFLOW.format(**fill),
        "README.md": README.format(**fill),
        ".gitignore": GITIGNORE,
    }


def scaffold(directory: str | Path, name: str | None = None, *, force: bool = False) -> list[Path]:
    """Write a new project into ``directory``; return the files written.

    Raises:
        InvalidInput: the model name is not usable.
        AlreadyExists: a file would be overwritten (pass ``force=True``).
    """
    root = Path(directory)
    model = name or re.sub(r"[^A-Za-z0-9_\-]", "_", root.resolve().name) or "model"
    if not _NAME.match(model):
        raise InvalidInput(f"model name {model!r} must start with a letter; pass --name")
    planned = {root / path: text for path, text in files(model).items()}
    clashes = [str(p) for p in planned if p.exists()]
    if clashes and not force:
        raise AlreadyExists(f"{len(clashes)} file(s) exist, e.g. {clashes[0]}; pass --force")
    for path, text in planned.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return sorted(planned)
