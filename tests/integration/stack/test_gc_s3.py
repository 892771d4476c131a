"""``loopml gc`` on S3 (moto's server): the same contract as on a local folder."""

from __future__ import annotations

import pytest

import loopml as lm
from tests.store.test_gc import check_collection

pytestmark = pytest.mark.timeout(600)


def test_gc_on_s3_deletes_only_unreferenced_old_blobs(s3_bucket, tmp_path, sqlite_template):
    import shutil

    bucket, options = s3_bucket
    db = tmp_path / "loopml.db"
    shutil.copyfile(sqlite_template, db)
    settings = lm.Settings(
        home=tmp_path / "home",
        db_url=f"sqlite:///{db}",
        artifacts=f"s3://{bucket}/gc",
        online_store=f"sqlite:///{tmp_path / 'online.db'}",
        artifacts_options=options,
    )
    client = lm.configure(settings)
    try:
        check_collection(client)
    finally:
        client.close()
