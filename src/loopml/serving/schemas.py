"""JSON Schemas of the model server's request, response and error bodies (pure data).

The route table (:mod:`loopml.serving.routes`) names these for each endpoint and the
OpenAPI document (:mod:`loopml.serving.openapi`) is built from them. Request schemas
of ``/predict`` and V2 inference follow the signature of the version being served, so
a client generated from ``/openapi.json`` sends the right columns and types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loopml.serving.v2 import DATATYPES, OUTPUTS

if TYPE_CHECKING:
    from loopml.serving.validation import Validator

Schema = dict[str, Any]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

ERROR: Schema = {
    "type": "object",
    "title": "Error",
    "description": "What was wrong and what to do; ``field`` names the offending input.",
    "properties": {
        "error": {"type": "string", "description": "the error type, e.g. RequestInvalid"},
        "message": {"type": "string"},
        "field": {"type": "string"},
    },
    "required": ["error", "message"],
}
V2_ERROR: Schema = {
    "type": "object",
    "title": "V2Error",
    "description": "An Open Inference Protocol error: one message.",
    "properties": {"error": {"type": "string"}},
    "required": ["error"],
}
_SCALAR: Schema = {"type": ["number", "string", "boolean", "null"]}
_KIND_SCHEMA: dict[str, Schema] = {
    "f": {"type": ["number", "null"], "description": "a number (null is read as NaN)"},
    "i": {"type": "integer", "minimum": INT64_MIN, "maximum": INT64_MAX},
    "b": {"type": "boolean"},
    "s": {"type": "string"},
}


def record_schema(validator: Validator | None) -> Schema:
    """One row as an object of column -> value, typed by the signature when known."""
    if validator is None or validator.columns is None:
        return {"type": "object", "additionalProperties": _SCALAR, "minProperties": 1}
    return {
        "type": "object",
        "properties": {
            name: _KIND_SCHEMA[kind]
            for name, kind in zip(validator.columns, validator.kinds, strict=True)
        },
        "required": list(validator.columns),
        "additionalProperties": False,
    }


def row_schema(validator: Validator | None) -> Schema:
    """One row as a list of values in signature order."""
    if validator is None or validator.columns is None:
        return {"type": "array", "items": {"type": "number"}, "minItems": 1}
    items = [_KIND_SCHEMA[kind] for kind in validator.kinds]
    return {"type": "array", "prefixItems": items, "minItems": len(items), "maxItems": len(items)}


def predict_request(validator: Validator | None) -> Schema:
    """The accepted ``/predict`` bodies (records, split, instances, inputs, MLflow shapes)."""
    records = {"type": "array", "items": record_schema(validator), "minItems": 1}
    rows = {"type": "array", "items": row_schema(validator), "minItems": 1}
    options = {
        "routing_key": {"type": "string", "description": "sticky canary routing key"},
        "probabilities": {"type": "boolean", "description": "also return class probabilities"},
    }
    names = {"type": "array", "items": {"type": "string"}, "minItems": 1}
    split_properties: Schema = {"columns": names, "data": rows}
    split: Schema = {"type": "object", "properties": split_properties}
    split["required"] = ["columns", "data"]

    def shape(title: str, key: str, value: Schema) -> Schema:
        return {
            "type": "object",
            "title": title,
            "properties": {key: value, **options},
            "required": [key],
        }

    return {
        "anyOf": [
            shape("Records", "records", records),
            shape("Instances", "instances", rows),
            shape("Inputs", "inputs", rows),
            {**split, "title": "Split", "properties": {**split_properties, **options}},
            shape("DataframeSplit", "dataframe_split", split),
            shape("DataframeRecords", "dataframe_records", records),
            {**records, "title": "RecordList"},
        ]
    }


PREDICT_RESPONSE: Schema = {
    "type": "object",
    "title": "Predictions",
    "properties": {
        "predictions": {"type": "array", "items": _SCALAR},
        "prediction_ids": {"type": "array", "items": {"type": "string"}},
        "model_name": {"type": "string"},
        "model_version": {"type": "integer"},
        "deployment": {"type": "string"},
        "probabilities": {
            "type": "array",
            "items": {"type": "array", "items": {"type": ["number", "null"]}},
        },
    },
    "required": ["predictions", "prediction_ids", "model_name", "model_version", "deployment"],
}

_FEEDBACK_ROW: Schema = {
    "type": "object",
    "title": "Label",
    "properties": {
        "prediction_id": {"type": "string", "minLength": 1},
        "label": {"type": ["number", "string", "boolean"]},
        "time": {
            "type": ["integer", "string"],
            "description": "epoch milliseconds or ISO text; default now",
        },
        "deployment": {"type": "string", "description": "must be this server's deployment"},
    },
    "required": ["prediction_id", "label"],
    "additionalProperties": False,
}
FEEDBACK_REQUEST: Schema = {
    "anyOf": [
        _FEEDBACK_ROW,
        {"type": "array", "items": _FEEDBACK_ROW, "minItems": 1},
        {
            "type": "object",
            "properties": {"feedback": {"type": "array", "items": _FEEDBACK_ROW, "minItems": 1}},
            "required": ["feedback"],
        },
    ]
}
FEEDBACK_RESPONSE: Schema = {
    "type": "object",
    "title": "FeedbackAccepted",
    "properties": {"accepted": {"type": "integer", "minimum": 0}},
    "required": ["accepted"],
}

_PARAMETERS: Schema = {"type": "object", "additionalProperties": True}
_TENSOR_META: Schema = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "datatype": {"type": "string", "enum": list(DATATYPES)},
        "shape": {"type": "array", "items": {"type": "integer"}},
    },
    "required": ["name", "datatype", "shape"],
}


def infer_request(validator: Validator | None) -> Schema:
    """The V2 inference request object."""
    width = validator.width if validator is not None else None
    tensor: Schema = {
        "type": "object",
        "title": "RequestInput",
        "properties": {
            "name": {"type": "string"},
            "shape": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": 1_000_000},
                "minItems": 1,
                "maxItems": 2,
            },
            "datatype": {"type": "string", "enum": list(DATATYPES)},
            "parameters": _PARAMETERS,
            "data": {"type": "array"},
        },
        "required": ["name", "shape", "datatype"],
    }
    if width is not None:
        tensor["description"] = f"one [rows, {width}] tensor, or one [rows] tensor per column"
    output = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "enum": list(OUTPUTS)},
            "parameters": _PARAMETERS,
        },
        "required": ["name"],
    }
    return {
        "type": "object",
        "title": "InferenceRequest",
        "properties": {
            "id": {"type": "string"},
            "parameters": _PARAMETERS,
            "inputs": {"type": "array", "items": tensor, "minItems": 1},
            "outputs": {"type": "array", "items": output},
        },
        "required": ["inputs"],
    }


INFER_RESPONSE: Schema = {
    "type": "object",
    "title": "InferenceResponse",
    "properties": {
        "model_name": {"type": "string"},
        "model_version": {"type": "string"},
        "id": {"type": "string"},
        "parameters": _PARAMETERS,
        "outputs": {
            "type": "array",
            "items": {
                **_TENSOR_META,
                "properties": {
                    **_TENSOR_META["properties"],
                    "data": {"type": "array"},
                    "parameters": _PARAMETERS,
                },
            },
        },
    },
    "required": ["model_name", "outputs"],
}
MODEL_METADATA: Schema = {
    "type": "object",
    "title": "ModelMetadata",
    "properties": {
        "name": {"type": "string"},
        "versions": {"type": "array", "items": {"type": "string"}},
        "platform": {"type": "string"},
        "inputs": {"type": "array", "items": _TENSOR_META},
        "outputs": {"type": "array", "items": _TENSOR_META},
    },
    "required": ["name", "platform", "inputs", "outputs"],
}
SERVER_METADATA: Schema = {
    "type": "object",
    "title": "ServerMetadata",
    "properties": {
        "name": {"type": "string"},
        "version": {"type": "string"},
        "extensions": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["name", "version", "extensions"],
}
INFO: Schema = {
    "type": "object",
    "title": "DeploymentInfo",
    "properties": {
        "deployment": {"type": "string"},
        "server": {"type": "string"},
        "version": {"type": "string"},
        "routes": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["deployment", "routes"],
}
