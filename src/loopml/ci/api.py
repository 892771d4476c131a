"""``ModelCI``: run gates on a model version against its champion, and read verdicts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from loopml.ci import labelled as lab
from loopml.ci.context import GateContext
from loopml.ci.evaluation import evaluate_gates, read_verdicts, save_verdict
from loopml.ci.gates import default_gates, gates_from
from loopml.errors import InvalidInput, NotFound
from loopml.store.event_cache import cached_event_log
from loopml.store.events import EventLog

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Mapping, Sequence

    from loopml.ci.gates import Gate
    from loopml.ci.verdicts import Verdict
    from loopml.data import Datasets, DatasetVersion
    from loopml.models import LoadedModel, Models
    from loopml.store import Store

GATES_TAG = "loopml.gates"


class ModelCI:
    """Gates over one store: judge a version against the champion and keep the verdict.

    Args:
        store: the store with the registry, datasets and prediction log.
        models: the registry API.
        datasets: the datasets API.
    """

    def __init__(self, store: Store, models: Models, datasets: Datasets) -> None:
        self.store = store
        self.models = models
        self.datasets = datasets
        self.log = cached_event_log(EventLog.from_store(store))

    def __repr__(self) -> str:
        return f"ModelCI({self.store!r})"

    def run_gates(
        self,
        model: str,
        version: int | str,
        gates: Sequence[Gate | Mapping[str, Any]] | None = None,
        *,
        champion: str | int | None = "champion",
        evaluation: pd.DataFrame | str | None = None,
        deployment: str | None = None,
        since: dt.datetime | None = None,
        last_n: int | None = None,
        label: str = "label",
        training_data: str | DatasetVersion | None = None,
        task: str | None = None,
        source: str = "ci",
        save: bool = True,
        facts: Mapping[str, Any] | None = None,
    ) -> Verdict:
        """Run ``gates`` on ``model`` version ``version`` and return (and store) the verdict.

        Args:
            model: the registered model.
            version: the challenger's version (number or alias).
            gates: the gates (default: signature, beats the champion, latency budget).
            champion: the champion's alias or version (``None``: judge alone).
            evaluation: labelled rows (a DataFrame or ``"dataset@version"``) with ``label``.
            deployment: judge on this deployment's labelled prediction log instead.
            since: earliest prediction of that log to use.
            last_n: use only the newest ``n`` labelled predictions.
            label: the label column of ``evaluation``.
            training_data: the challenger's training set, for the data-validation gate.
            task: ``classification`` or ``regression`` (default: inferred).
            source: who asks (stored with the verdict).
            save: store the verdict with the version (and tag it ``loopml.gates``).
            facts: extra JSON-ready facts stored with the verdict.
        """
        challenger = self._load(model, version)
        assert challenger.version is not None
        old = self._champion(model, champion, challenger.version)
        frame = self._evaluation(evaluation, deployment, since, last_n, label, challenger)
        trained_on = self._training(training_data)
        ctx = GateContext(
            model, challenger, old, frame, label, task,
            validate_training=None if trained_on is None else (
                lambda schema: self.datasets.validate(trained_on, schema=schema)
            ),
            load_fresh=lambda: self.models.load_model(challenger.uri, cache=False),
            facts={**dict(facts or {}), "training_data": _ref(trained_on),
                   "deployment": deployment},
        )  # fmt: skip
        verdict = evaluate_gates(gates_from(gates) if gates is not None else default_gates(), ctx,
                                 source=source)  # fmt: skip
        if save:
            verdict = save_verdict(self.store.db, verdict)
            status = "passed" if verdict.passed else "failed"
            self.models.set_model_tags(model, {GATES_TAG: status}, challenger.version)
        return verdict

    def verdicts(self, model: str, version: int | str | None = None) -> list[Verdict]:
        """Stored verdicts of ``model`` (or of one version), newest first."""
        number = None
        if version is not None:
            number = self.models.get_model_version(model, version).version
        return read_verdicts(self.store.db, model, number)

    def _load(self, model: str, version: int | str) -> LoadedModel:
        found = self.models.get_model_version(model, version)
        return self.models.load_model(found.uri)

    def _champion(
        self, model: str, champion: str | int | None, challenger: int
    ) -> LoadedModel | None:
        if champion is None:
            return None
        try:
            found = self.models.get_model_version(model, champion)
        except NotFound:
            return None
        if found.version == challenger:
            return None
        return self.models.load_model(found.uri)

    def _evaluation(
        self,
        evaluation: pd.DataFrame | str | None,
        deployment: str | None,
        since: dt.datetime | None,
        last_n: int | None,
        label: str,
        challenger: LoadedModel,
    ) -> pd.DataFrame | None:
        if isinstance(evaluation, str):
            evaluation = self.datasets.load_dataset(self.datasets.get_version(evaluation))
        if isinstance(evaluation, pd.DataFrame):
            if label not in evaluation.columns:
                raise InvalidInput(
                    f"the evaluation rows have no label column {label!r}; columns: "
                    f"{list(evaluation.columns)[:20]} (pass label=...)"
                )
            return evaluation.reset_index(drop=True)
        if deployment is None:
            return None
        rows = lab.labelled_predictions(self.log, deployment, since, last_n=last_n)
        columns = challenger.signature.input_names if challenger.signature else None
        if len(rows) == 0:
            return pd.DataFrame({**{c: [] for c in columns or []}, "label": []})
        return lab.evaluation_frame(rows, columns)

    def _training(self, data: str | DatasetVersion | None) -> DatasetVersion | None:
        if data is None or not isinstance(data, str):
            return data
        return self.datasets.get_version(data)


def _ref(version: DatasetVersion | None) -> str | None:
    return None if version is None else f"{version.name}@{version.version}"
