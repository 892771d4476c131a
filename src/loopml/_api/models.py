"""``lm.register_model``, ``lm.set_alias``...: the model registry."""

from __future__ import annotations

from loopml._api.default import get_client
from loopml._api.forwarding import forward
from loopml.models.api import Models


def _models() -> Models:
    """Return the default client's model registry."""
    return get_client().models


register_model = forward(Models.register_model, _models)
set_alias = forward(Models.set_alias, _models)
delete_alias = forward(Models.delete_alias, _models)
get_model_version = forward(Models.get_model_version, _models)
get_registered_model = forward(Models.get_registered_model, _models)
list_models = forward(Models.list_models, _models)
list_model_versions = forward(Models.list_model_versions, _models)
alias_history = forward(Models.alias_history, _models)
