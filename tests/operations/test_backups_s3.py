"""Backups kept in S3-compatible storage, against moto's S3 server on 127.0.0.1 (boto3 and
django-storages run for real, over HTTP)."""

import base64
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto.server import ThreadedMotoServer
from storages.backends.s3 import S3Storage

from courseops.operations.backups.services import (
    backups_in,
    create_backup,
    fetch_backup,
    restore_backup,
)

pytestmark = pytest.mark.django_db(transaction=True)
BUCKET = "courseops-backups-test"


@pytest.fixture
def s3_endpoint(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BACKUP_ENCRYPTION_KEYS = [base64.urlsafe_b64encode(b"s" * 32).decode()]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def test_backups_go_to_the_bucket_with_retention_and_restore_from_it(
    s3_endpoint, tmp_path, empty_database
):
    storage = S3Storage(
        bucket_name=BUCKET,
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        access_key="test",
        secret_key="test",
        location="nightly",
        file_overwrite=False,
    )
    start = datetime(2026, 11, 1, 3, 30, tzinfo=UTC)
    for day in range(3):
        create_backup(storage=storage, keep=2, now=start + timedelta(days=day))

    names = backups_in(storage)
    assert names == ["courseops-20261102T033000Z.cobackup", "courseops-20261103T033000Z.cobackup"]
    objects = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).list_objects_v2(Bucket=BUCKET)["Contents"]
    assert sorted(item["Key"] for item in objects) == [f"nightly/{name}" for name in names]

    local = fetch_backup(name=names[-1], storage=storage, destination=tmp_path / "copy")
    manifest = restore_backup(path=local, db=empty_database)
    assert manifest["created_at"] == "2026-11-03T03:30:00+00:00"
