from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import loopml as lm
from loopml.features.errors import InvalidDefinition
from loopml.features.project import default_paths, load_definitions

if TYPE_CHECKING:
    from pathlib import Path


def test_loopml_yaml_names_the_definition_files(tmp_path: Path) -> None:
    extra = {"features": {"definitions": ["defs/a.py", "defs/b.py"]}}
    assert default_paths(tmp_path, extra) == [tmp_path / "defs/a.py", tmp_path / "defs/b.py"]
    assert default_paths(tmp_path, {"features": {"definitions": "one.py"}}) == [tmp_path / "one.py"]
    (tmp_path / "features.py").write_text("")
    assert default_paths(tmp_path, {}) == [tmp_path / "features.py"]


def test_definitions_are_collected_from_lists_and_dicts_once(tmp_path: Path) -> None:
    (tmp_path / "defs.py").write_text(
        "import loopml as lm\n"
        "e = lm.Entity('k')\n"
        "views = [lm.FeatureView('a', e, 'a.parquet', 't'), e]\n"
        "by_name = {'b': lm.FeatureView('b', e, 'b.parquet', 't')}\n"
    )
    found = load_definitions([tmp_path / "defs.py"])
    assert [type(x).__name__ for x in found] == ["Entity", "FeatureView", "FeatureView"]
    assert isinstance(found[0], lm.Entity)
    with pytest.raises(InvalidDefinition, match="do not exist"):
        load_definitions([tmp_path / "missing.py"])
