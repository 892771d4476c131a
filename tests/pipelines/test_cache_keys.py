"""Cache keys: pure properties, and item 10 (helpers the step calls are part of the key)."""

from __future__ import annotations

import importlib
import sys
import textwrap
import uuid

import pytest
from hypothesis import given, strategies as st

from loopml.pipelines import cache_keys
from loopml.pipelines.cache_keys import CodeHasher, source_digest

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(params=st.dictionaries(st.text(min_size=1, max_size=5), json_values, max_size=4))
def test_keys_are_deterministic_and_sensitive_to_params(params):
    code = cache_keys.CodeDigest("a" * 64, {"m.helper": "b" * 64})
    first = cache_keys.key_parts(code, params, {"x": "c" * 64}, {"outputs": ["output"]})
    again = cache_keys.key_parts(
        code, dict(reversed(list(params.items()))), {"x": "c" * 64}, {"outputs": ["output"]}
    )
    assert cache_keys.cache_key(first) == cache_keys.cache_key(again)
    assert cache_keys.differences(first, again) == []
    changed = cache_keys.key_parts(
        code, {**params, "__new": 1}, {"x": "c" * 64}, {"outputs": ["output"]}
    )
    assert cache_keys.cache_key(changed) != cache_keys.cache_key(first)
    assert "param __new changed (unset -> 1)" in cache_keys.differences(first, changed)


def test_source_digest_ignores_comments_docstrings_and_decorators():
    def one(x):
        """Doc."""
        return x + 1  # comment

    def two(x):
        return x + 1

    def three(x):
        return x + 2

    assert source_digest(one) == source_digest(two)
    assert source_digest(two) != source_digest(three)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A throwaway project package with helpers and a step that calls them."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    name = f"proj_{uuid.uuid4().hex[:8]}"
    root = tmp_path / name
    root.mkdir()
    (root / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(helpers: str) -> object:
        (root / "helpers.py").write_text(textwrap.dedent(helpers))
        (root / "flow.py").write_text(
            textwrap.dedent(
                f"""
                import loopml as lm
                from {name} import helpers
                from {name}.helpers import scale

                @lm.step
                def prepare(x: int) -> int:
                    return helpers.clean(x)

                @lm.step
                def finish(x: int) -> int:
                    return scale(x)

                @lm.pipeline
                def flow(x: int = 1):
                    return finish(prepare(x))
                """
            )
        )
        for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[module]
        importlib.invalidate_caches()
        return importlib.import_module(f"{name}.flow")

    write.package = name  # type: ignore[attr-defined]
    return write


HELPERS = """
OFFSET = 1

def _inner(x):
    return x + OFFSET

def clean(x):
    return _inner(x)

def scale(x):
    return x * 10
"""


def test_helpers_are_part_of_the_code_digest(project):
    flow = project(HELPERS)
    digest = CodeHasher().digest(flow.prepare.fn)
    package = project.package
    assert set(digest.helpers) == {
        f"{package}.helpers.clean",
        f"{package}.helpers._inner",
        f"{package}.helpers.OFFSET",
    }
    assert not any(name.startswith(("numpy", "loopml")) for name in digest.helpers)


def test_changing_a_helper_invalidates_the_step(sqlite_client, project):
    flow = project(HELPERS)
    first = flow.flow.run()
    assert first.outputs == 20
    again = flow.flow.run()
    assert {s.status for s in again.steps} == {"CACHED"}

    # change a helper two calls deep (clean -> _inner): only `prepare` depends on it
    flow = project(HELPERS.replace("return x + OFFSET", "return x + OFFSET + 100"))
    changed = flow.flow.run()
    assert changed.outputs == 1020
    assert changed.step("prepare").status == "SUCCEEDED"
    # finish re-ran because its input changed, not its code
    explained = sqlite_client.pipelines.explain(changed.id, "prepare")
    assert any("_inner changed" in reason for reason in explained.reasons), explained
    explained_finish = sqlite_client.pipelines.explain(changed.id, "finish")
    assert any(reason.startswith("input x changed") for reason in explained_finish.reasons)

    # a module constant the helper reads is part of the key too
    flow = project(
        HELPERS.replace("OFFSET = 1", "OFFSET = 2").replace("+ OFFSET", "+ OFFSET + 100")
    )
    constant = flow.flow.run()
    assert constant.step("prepare").status == "SUCCEEDED"
    assert any(
        "OFFSET changed" in r
        for r in sqlite_client.pipelines.explain(constant.id, "prepare").reasons
    )

    # changing only `scale` leaves `prepare` cached
    flow = project(
        HELPERS.replace("OFFSET = 1", "OFFSET = 2")
        .replace("+ OFFSET", "+ OFFSET + 100")
        .replace("* 10", "* 20")
    )
    last = flow.flow.run()
    assert last.step("prepare").status == "CACHED"
    assert last.step("finish").status == "SUCCEEDED"
    assert last.outputs == 2060
