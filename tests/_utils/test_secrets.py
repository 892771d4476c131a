"""Passwords in URLs never reach settings output, errors, logs or reprs."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
from hypothesis import given, strategies as st
from typer.testing import CliRunner

import loopml as lm
from loopml._utils.secrets import RedactSecrets, redact
from loopml.cli.main import app
from loopml.store import Database

SECRET = "Sup3r-s3cret"
URLS = [
    f"postgresql://app:{SECRET}@db.internal:5432/loopml",
    f"postgresql+psycopg://app:{SECRET}@db/loopml?sslmode=require",
    f"redis://:{SECRET}@cache:6379/0",
    f"rediss://default:{SECRET}@cache:6380/1?prefix=team",
    f"s3://bucket/loopml?secret={SECRET}&key=AKIA{SECRET}",
    f"https://user:{SECRET}@collector/api/v1/lineage",
]


@pytest.mark.parametrize("url", URLS)
def test_redact_removes_the_password_and_keeps_the_rest(url: str) -> None:
    cleaned = redact(url)
    assert SECRET not in cleaned
    assert "***" in cleaned
    assert cleaned.split("://")[0] == url.split("://")[0]


def test_text_without_secrets_is_unchanged() -> None:
    for text in ["sqlite:////tmp/l.db", "postgresql://postgres@127.0.0.1/test", "a = b", ""]:
        assert redact(text) == text


@given(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.~!$*", min_size=1, max_size=20),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.~!$*%", min_size=1, max_size=30),
)
def test_any_userinfo_password_is_redacted(user: str, password: str) -> None:
    url = f"postgresql://{user}:{password}@host:5432/db"
    assert redact(url) == f"postgresql://{user}:***@host:5432/db"


def test_config_show_hides_passwords(monkeypatch) -> None:
    monkeypatch.setenv("LOOPML_ONLINE_STORE", URLS[2])
    monkeypatch.setenv("LOOPML_ARTIFACTS", URLS[4])
    plain = CliRunner().invoke(app, ["config", "show"], env={"COLUMNS": "250"})
    as_json = CliRunner().invoke(app, ["config", "show", "--json"])
    assert plain.exit_code == 0, plain.output
    assert as_json.exit_code == 0, as_json.output
    for output in (plain.output, as_json.output):
        assert SECRET not in output
    shown = json.loads(as_json.output)
    assert shown["online_store"]["value"] == "redis://:***@cache:6379/0"


def test_errors_and_reprs_hide_passwords(monkeypatch) -> None:
    with pytest.raises(lm.LoopmlError) as err:
        Database(f"mysql://app:{SECRET}@db/loopml")
    assert SECRET not in str(err.value)
    client = lm.Client(db_url=URLS[0], artifacts=URLS[4])
    assert SECRET not in repr(client)
    monkeypatch.setenv("LOOPML_DB_URL", f"nosuchdb://app:{SECRET}@db/x")
    cli = "from loopml.cli.main import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", cli, "experiments", "list"], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "nosuchdb://app:***@db/x" in result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_log_records_are_redacted() -> None:
    record = logging.LogRecord(
        "loopml.test", logging.WARNING, __file__, 1, "cannot reach %s", (URLS[0],), None
    )
    assert RedactSecrets().filter(record)
    assert SECRET not in record.getMessage()
    assert "postgresql://app:***@db.internal" in record.getMessage()
