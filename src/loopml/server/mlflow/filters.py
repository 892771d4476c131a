"""MLflow search syntax -> loopml's filter language (pure).

MLflow's filters are close to a subset of loopml's: the differences handled here are
dotted keys written without quotes (``tags.mlflow.source.type``), MLflow attribute names
(``attributes.user_id``, ``attributes.run_id``) and tags that loopml keeps as run
attributes (``tags.mlflow.runName`` is the run name, ``tags.mlflow.user`` its user).
"""

from __future__ import annotations

import re

from loopml.errors import InvalidFilter

_STRING = re.compile(r"""('(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*"|`[^`]*`)""")
_DOTTED = re.compile(
    r"\b(metrics|params|tags|attributes|metric|param|tag|attribute|attr|run)"
    r"\.([A-Za-z0-9_\-/:]+(?:\.[A-Za-z0-9_\-/:]+)+)"
)
_RENAMES = {
    "attributes.user_id": "attributes.user",
    "attribute.user_id": "attributes.user",
    "attributes.run_uuid": "attributes.id",
    "tags.`mlflow.runName`": "attributes.name",
    "tag.`mlflow.runName`": "attributes.name",
    "tags.`mlflow.user`": "attributes.user",
    "tags.`mlflow.parentRunId`": "attributes.parent_id",
}
_BARE = {"user_id": "attributes.user", "run_uuid": "attributes.id"}


def translate(text: str | None) -> str | None:
    """Return ``text`` (an MLflow filter or order-by item) in loopml's syntax."""
    if text is None or not text.strip():
        return None
    pieces = _STRING.split(text)
    out: list[str] = []
    for index, piece in enumerate(pieces):
        if index % 2 == 1:  # a quoted literal or key: leave it alone
            out.append(_quoted_key(piece, out))
            continue
        piece = _DOTTED.sub(lambda m: f"{m.group(1)}.`{m.group(2)}`", piece)
        out.append(piece)
    joined = "".join(out)
    for old, new in _RENAMES.items():
        joined = joined.replace(old, new)
    for old, new in _BARE.items():
        joined = re.sub(rf"(?<![.\w`]){old}\b", new, joined)
    return joined


def _quoted_key(piece: str, before: list[str]) -> str:
    # MLflow quotes keys with "double quotes" or `back ticks` after a prefix; loopml reads
    # both, but renames below expect back ticks.
    if before and before[-1].endswith(".") and piece[0] == '"':
        return f"`{piece[1:-1]}`"
    return piece


def translate_order(items: list[str] | None) -> list[str] | None:
    """Translate MLflow ``order_by`` items."""
    if not items:
        return None
    return [t for t in (translate(i) for i in items) if t]


_NAME_FILTER = re.compile(
    r"""^\s*(?:attributes\.)?name\s*(=|!=|LIKE|ILIKE)\s*(?:'((?:[^']|'')*)'|"([^"]*)")\s*$""",
    re.IGNORECASE,
)


def experiment_matches(text: str | None, name: str) -> bool:
    """Whether experiment ``name`` passes an MLflow experiment filter on its name.

    Raises:
        InvalidFilter: the filter is not ``name <op> 'value'``.
    """
    if text is None or not text.strip():
        return True
    match = _NAME_FILTER.match(text)
    if match is None:
        raise InvalidFilter(
            f"experiment filter {text!r} is not supported; use name = 'x', name != 'x', "
            "name LIKE 'x%' or name ILIKE 'x%'"
        )
    op, value = match.group(1).upper(), (match.group(2) or match.group(3) or "").replace("''", "'")
    if op == "=":
        return name == value
    if op == "!=":
        return name != value
    return like(value, name, case_sensitive=op == "LIKE")


def like(pattern: str, value: str, *, case_sensitive: bool) -> bool:
    """SQL ``LIKE``: ``%`` any run of characters, ``_`` one character."""
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.fullmatch(regex, value, flags | re.DOTALL) is not None
