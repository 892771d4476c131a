"""Steps, pipelines and the traced graph (no store needed)."""

from __future__ import annotations

import re

import pytest

import loopml as lm
from loopml.pipelines.errors import (
    CycleError,
    ParamTypeError,
    PipelineDefinitionError,
)
from loopml.pipelines.graph import render_mermaid, render_text, topological_order
from tests.pipelines import flows


def test_a_step_outside_a_pipeline_is_the_plain_function():
    assert flows.plus_one(41) == 42
    frame = flows.make_frame(4)
    train, test = flows.split(frame)
    assert len(train) == 2
    assert len(test) == 2


def test_graph_comes_from_data_flow_with_fan_out_and_multi_outputs():
    graph = flows.training.build(n=8, scales=[1.0, 2.0])
    names = [n.name for n in graph.nodes]
    assert names == ["make_frame", "split", "fit[0]", "score[0]", "fit[1]", "score[1]", "best"]
    spec = {n["name"]: n for n in graph.to_json()["nodes"]}
    assert spec["split"]["upstream"] == ["make_frame"]
    assert spec["score[1]"]["upstream"] == ["split", "fit[1]"]
    assert spec["best"]["upstream"] == ["score[0]", "score[1]"]
    assert spec["split"]["outputs"] == ["train", "test"]
    assert spec["fit[1]"]["params"]["scale"] == "2.0"


def test_defaults_and_overrides_and_type_checks():
    assert flows.training.resolve_params((), {}) == {"n": 10, "scales": [1.0, 2.0, 3.0]}
    assert flows.training.resolve_params((), {"n": 3})["n"] == 3
    with pytest.raises(ParamTypeError, match="parameter 'n' must be int, got str"):
        flows.training.build(n="ten")
    with pytest.raises(ParamTypeError, match="its parameters are"):
        flows.training.build(learning_rate=0.1)
    with pytest.raises(ParamTypeError, match=r"'scales' must be list\[float\], got list"):
        flows.training.build(scales=["x"])

    @lm.pipeline
    def wrong():
        train, _ = flows.split(flows.make_frame(4))
        return flows.fit(train, "fast")

    with pytest.raises(ParamTypeError, match="argument 'scale' must be float, got str 'fast'"):
        wrong.build()


def test_outputs_cannot_drive_control_flow_or_be_unpacked_wrongly():
    @lm.pipeline
    def branching():
        if flows.plus_one(1):
            flows.plus_one(2)

    with pytest.raises(PipelineDefinitionError, match="cannot be used in an `if`"):
        branching.build()

    @lm.pipeline
    def unpacking():
        a, _b = flows.plus_one(1)
        return a

    with pytest.raises(PipelineDefinitionError, match="single output"):
        unpacking.build()

    @lm.pipeline
    def empty():
        return 1

    with pytest.raises(PipelineDefinitionError, match="calls no steps"):
        empty.build()


def test_reserved_and_variadic_parameters_are_rejected():
    with pytest.raises(PipelineDefinitionError, match="reserved"):

        @lm.pipeline
        def bad(executor: str = "x"):
            return flows.plus_one(1)

    with pytest.raises(PipelineDefinitionError, match=r"\*args"):

        @lm.pipeline
        def variadic(*values: int):
            return flows.plus_one(1)


def test_step_options_are_validated():
    with pytest.raises(PipelineDefinitionError, match="retries must be an integer"):
        lm.step(retries=-1)(lambda: 1)
    with pytest.raises(PipelineDefinitionError, match="timeout must be a positive"):
        lm.step(timeout=0)(lambda: 1)
    with pytest.raises(TypeError, match="unexpected keyword argument 'retry'"):
        lm.step(retry=2)(lambda: 1)  # type: ignore[call-overload]
    with pytest.raises(PipelineDefinitionError, match="distinct identifiers"):
        lm.step(outputs=["a", "a"])(lambda: (1, 1))


def test_tuple_annotation_gives_several_outputs():
    @lm.step
    def pair(x: int) -> tuple[int, int]:
        return x, x + 1

    assert pair.output_names == ("output_0", "output_1")


def test_sub_pipelines_are_inlined():
    @lm.pipeline
    def inner(x: int = 1):
        return flows.plus_one(flows.plus_one(x))

    @lm.pipeline
    def outer():
        return flows.total([inner(1), inner(5)])

    names = [n.name for n in outer.build().nodes]
    assert names.count("plus_one[0]") == 1
    assert len(names) == 5


def test_cycles_are_detected():
    with pytest.raises(CycleError, match="cycle through steps"):
        topological_order({0: (2,), 1: (0,), 2: (1,)})
    assert topological_order({0: (), 1: (0,), 2: (0, 1)}) == [0, 1, 2]


def test_graph_renders_as_text_and_mermaid():
    spec = flows.branches.build().to_json()
    text = render_text(spec, {"maybe_boom": "FAILED"})
    assert re.search(r"2\. maybe_boom +\[FAILED\]  <- plus_one\[0\]", text)
    mermaid = render_mermaid(spec, {"maybe_boom": "FAILED"})
    assert mermaid.startswith("flowchart TD")
    assert "s0 --> s1" in mermaid
    assert "class s1 failed" in mermaid
    assert flows.branches.graph(format="mermaid").count("-->") == 5


def test_invalid_schedule_is_rejected():
    with pytest.raises(PipelineDefinitionError, match="not a cron expression"):
        lm.pipeline(schedule="every day")(lambda: flows.plus_one(1))
    with pytest.raises(PipelineDefinitionError, match="unknown time zone"):
        lm.pipeline(schedule="0 3 * * *", timezone="Mars/Base")(lambda: flows.plus_one(1))


def test_pipelines_loaded_from_a_file_record_the_file_as_target(tmp_path):
    from loopml.pipelines.loading import load_target

    path = tmp_path / "my_flow_file.py"
    path.write_text(
        "import loopml as lm\n\n@lm.step\ndef one() -> int:\n    return 1\n\n"
        "@lm.pipeline\ndef flow():\n    return one()\n"
    )
    loaded = load_target(f"{path}:flow")
    assert loaded.target == f"{path.resolve()}:flow"
    assert load_target(str(path)) is loaded
    with pytest.raises(lm.LoopmlError, match="has no pipeline 'nope'"):
        load_target(f"{path}:nope")
    with pytest.raises(lm.LoopmlError, match="no file"):
        load_target(f"{tmp_path / 'missing.py'}:flow")
