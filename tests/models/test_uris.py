from __future__ import annotations

import pytest

from loopml.errors import InvalidInput
from loopml.models import InvalidModelUri, parse_uri
from loopml.models.uris import check_alias, check_name


@pytest.mark.parametrize(
    ("uri", "kind", "fields"),
    [
        ("models:/churn/3", "version", {"name": "churn", "version": 3}),
        ("models:/churn@champion", "alias", {"name": "churn", "alias": "champion"}),
        ("models:/churn/latest", "latest", {"name": "churn"}),
        ("models:/churn", "latest", {"name": "churn"}),
        ("churn@champion", "alias", {"name": "churn", "alias": "champion"}),
        ("churn/2", "version", {"name": "churn", "version": 2}),
        ("runs:/abc123/model", "run", {"run_id": "abc123", "path": "model"}),
        ("runs:/abc123/sub/model/", "run", {"run_id": "abc123", "path": "sub/model"}),
        ("package:" + "a" * 64, "package", {"digest": "a" * 64}),
    ],
)
def test_parse_accepts_every_form(uri: str, kind: str, fields: dict) -> None:
    parsed = parse_uri(uri)
    assert parsed.kind == kind
    for key, value in fields.items():
        assert getattr(parsed, key) == value
    assert parse_uri(str(parsed)) == parsed


@pytest.mark.parametrize(
    "uri",
    [
        "models:/churn/x",
        "models:/churn/0",
        "models:/churn/\u00b2",
        "models:/churn/\u0663",
        "s3://bucket/model",
        "runs:/only",
        "package:abc",
        "models:/bad name/1",
        "models:/churn@1abc",
        "models:/churn@latest",
    ],
)
def test_parse_rejects_malformed_uris(uri: str) -> None:
    with pytest.raises(InvalidModelUri, match="cannot read model URI"):
        parse_uri(uri)


def test_name_and_alias_rules() -> None:
    assert check_name("churn-v2.1_x") == "churn-v2.1_x"
    with pytest.raises(InvalidInput, match="model name"):
        check_name("a/b")
    with pytest.raises(InvalidInput, match="alias"):
        check_alias("3")
    with pytest.raises(InvalidInput, match="reserved"):
        check_alias("latest")
