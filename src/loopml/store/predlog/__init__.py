"""The owner of the prediction log and the feedback stream.

Serving and monitoring both go through this package, so neither imports the other:

- :mod:`~loopml.store.predlog.writer`: prediction ids and the bounded, batched writer
  a model server appends to on its request path;
- :mod:`~loopml.store.predlog.feedback`: validating labels, finding the prediction (and
  so the deployment) each belongs to, appending them to the ``feedback`` stream;
- :mod:`~loopml.store.predlog.reading`: reading predictions and labels back, the one
  "latest label wins" rule, and joining labels to predictions.

The column contracts of both streams are in :mod:`loopml.store.streams`.
"""

from __future__ import annotations
