"""The version of loopml (the root package re-exports it; servers report it)."""

__version__ = "0.1.0"
