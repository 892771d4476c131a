"""Parse feature references (``"view:feature"``, ``"view:*"``, ``"view@3:feature"``) (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from loopml.features.errors import (
    FeatureNotFound,
    FeatureViewNotFound,
    InvalidFeatureReference,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from loopml.features.registry import ViewVersion

_REF = re.compile(r"^(?P<view>[A-Za-z_][A-Za-z0-9_.\-]*)(?:@(?P<version>\d+))?:(?P<feature>.+)$")


@dataclass(frozen=True, slots=True)
class Selection:
    """The features requested from one view version, and their output column names."""

    view: ViewVersion
    features: tuple[str, ...]
    outputs: tuple[str, ...]

    @property
    def indexes(self) -> tuple[int, ...]:
        """Positions of the requested features in the view."""
        names = self.view.view.feature_names
        return tuple(names.index(f) for f in self.features)


def parse(
    refs: Sequence[str] | str,
    current: Mapping[str, ViewVersion],
    pinned: Callable[[str, int], ViewVersion],
    *,
    full_names: bool = False,
) -> list[Selection]:
    """Resolve references against the registry, grouped by view in order of appearance.

    Args:
        refs: ``"view:feature"`` (current version), ``"view@3:feature"`` (version 3) or
            ``"view:*"`` (every feature of the view).
        current: the current version of every view, by name.
        pinned: ``(name, version) -> ViewVersion`` for pinned references.
        full_names: name output columns ``view__feature`` instead of ``feature``.

    Raises:
        InvalidFeatureReference: a reference is malformed, or two outputs share a name.
        FeatureViewNotFound: a view is not registered.
        FeatureNotFound: a view has no such feature.
    """
    if isinstance(refs, str):
        refs = [refs]
    if not refs:
        raise InvalidFeatureReference("no features requested; pass ['view:feature', ...]")
    grouped: dict[tuple[str, int], list[str]] = {}
    views: dict[tuple[str, int], ViewVersion] = {}
    for ref in refs:
        view, feature = _resolve(ref, current, pinned)
        key = (view.name, view.version)
        views[key] = view
        names = view.view.feature_names if feature == "*" else (feature,)
        chosen = grouped.setdefault(key, [])
        chosen.extend(n for n in names if n not in chosen)
    selections = [
        Selection(
            views[key], tuple(feats), tuple(_output(views[key].name, f, full_names) for f in feats)
        )
        for key, feats in grouped.items()
    ]
    _check_unique(selections)
    return selections


def _resolve(
    ref: str, current: Mapping[str, ViewVersion], pinned: Callable[[str, int], ViewVersion]
) -> tuple[ViewVersion, str]:
    match = _REF.match(ref) if isinstance(ref, str) else None
    if match is None:
        raise InvalidFeatureReference(
            f"feature reference {ref!r} must look like 'view:feature' (for example "
            "'activity:orders_7d'), 'view:*' or 'view@3:feature'"
        )
    name, feature = match["view"], match["feature"]
    if match["version"] is not None:
        view = pinned(name, int(match["version"]))
    elif name in current:
        view = current[name]
    else:
        raise FeatureViewNotFound(
            f"feature reference {ref!r}: no feature view {name!r} is registered; registered "
            f"views: {sorted(current) or 'none'}"
        )
    if feature != "*" and feature not in view.view.feature_names:
        raise FeatureNotFound(
            f"feature reference {ref!r}: view {name!r} (v{view.version}) has no feature "
            f"{feature!r}; its features: {list(view.view.feature_names)}"
        )
    return view, feature


def _output(view: str, feature: str, full_names: bool) -> str:
    return f"{view}__{feature}" if full_names else feature


def _check_unique(selections: Sequence[Selection]) -> None:
    seen: dict[str, str] = {}
    for selection in selections:
        for out in selection.outputs:
            owner = f"{selection.view.name}@{selection.view.version}"
            if out in seen and seen[out] != owner:
                raise InvalidFeatureReference(
                    f"feature {out!r} is requested from both {seen[out]} and {owner}; pass "
                    "full_names=True to name columns 'view__feature'"
                )
            seen[out] = owner
