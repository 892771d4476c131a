"""Permissions and the built-in roles (pure: no I/O).

A permission is ``<resource>:<verb>``. Roles grant patterns (``runs:*``, ``*:read``) that
expand to concrete permissions. The built-in roles map the roles of Kreuzberger et al.
(2022): R1 business stakeholder ... R7 ML engineer, plus ``admin``. Approving a promotion
(``models:promote``) is a permission of its own: the roles that train (data scientist) and
the role that deploys (DevOps engineer) do not hold it.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from loopml.errors import InvalidInput

RESOURCES: tuple[str, ...] = (
    "experiments",
    "runs",
    "datasets",
    "models",
    "pipelines",
    "features",
    "deployments",
    "monitors",
    "loops",
    "users",
    "audit",
)
VERBS: tuple[str, ...] = ("read", "write", "delete")
SPECIAL: tuple[str, ...] = ("models:promote", "deployments:deploy")

PERMISSIONS: tuple[str, ...] = (
    *(f"{resource}:{verb}" for resource in RESOURCES for verb in VERBS),
    *SPECIAL,
)
"""Every permission loopml checks, in a stable order."""

_WORK = tuple(r for r in RESOURCES if r not in {"users", "audit"})
_READ_WORK = tuple(f"{r}:read" for r in _WORK)


@dataclass(frozen=True, slots=True)
class RoleTemplate:
    """A built-in role: name, what it is for, and the permission patterns it grants."""

    name: str
    description: str
    grants: tuple[str, ...]


BUILTIN_ROLES: tuple[RoleTemplate, ...] = (
    RoleTemplate("admin", "Everything, including users, roles, tokens and the audit log.", ("*",)),
    RoleTemplate(
        "business_stakeholder",
        "R1: reads results, models, deployments and monitoring; changes nothing.",
        _READ_WORK,
    ),
    RoleTemplate(
        "solution_architect",
        "R2: reads everything, including the audit log, to design and review the platform.",
        (*_READ_WORK, "audit:read"),
    ),
    RoleTemplate(
        "data_scientist",
        "R3: experiments, runs, datasets, training pipelines; registers models, never promotes.",
        (
            *_READ_WORK,
            "experiments:*",
            "runs:*",
            "datasets:write",
            "models:write",
            "pipelines:write",
        ),
    ),
    RoleTemplate(
        "data_engineer",
        "R4: datasets, feature views and data pipelines.",
        (*_READ_WORK, "datasets:*", "features:*", "pipelines:*"),
    ),
    RoleTemplate(
        "software_engineer",
        "R5: integrates models into products: reads everything, runs pipelines.",
        (*_READ_WORK, "pipelines:write"),
    ),
    RoleTemplate(
        "devops_engineer",
        "R6: deploys, rolls out and monitors; never approves a promotion.",
        (*_READ_WORK, "deployments:*", "monitors:*", "pipelines:write"),
    ),
    RoleTemplate(
        "ml_engineer",
        "R7: registry and model quality: approves promotions, runs the loop and its monitors.",
        (*_READ_WORK, "models:*", "monitors:*", "loops:*", "pipelines:write"),
    ),
)


def check_permission(permission: str) -> str:
    """Return ``permission`` if loopml knows it, else raise :class:`InvalidInput`."""
    if permission not in PERMISSIONS:
        raise InvalidInput(
            f"unknown permission {permission!r}; use one of {', '.join(PERMISSIONS)} "
            "(patterns such as 'runs:*' or '*:read' are allowed in roles)"
        )
    return permission


def expand(patterns: tuple[str, ...] | list[str]) -> frozenset[str]:
    """Return the concrete permissions the patterns grant.

    Raises:
        InvalidInput: a pattern grants nothing (a typo such as ``'run:read'``).
    """
    granted: set[str] = set()
    for pattern in patterns:
        found = fnmatch.filter(PERMISSIONS, pattern)
        if not found:
            raise InvalidInput(
                f"permission pattern {pattern!r} matches no permission; use '<resource>:<verb>' "
                f"with resources {', '.join(RESOURCES)} and verbs {', '.join(VERBS)} "
                "(or models:promote, deployments:deploy; '*' matches any part)"
            )
        granted.update(found)
    return frozenset(granted)
