"""The facade: ``lm.start_run``, ``lm.serve``... over a default :class:`~loopml.Client`.

One module per component (``tracking``, ``models``, ``serving``...) holds its module-level
functions; ``default`` holds the default client. Most functions are one line that forwards
to the component method they stand for, so they carry its real signature and docstring::

    serve = forward(Serving.serve, _serving)

``loopml/__init__.py`` re-exports each of them once (its ``TYPE_CHECKING`` block), and
``tests/test_facade.py`` checks facade and component parity. See docs/development.md,
"Adding a public function".
"""
