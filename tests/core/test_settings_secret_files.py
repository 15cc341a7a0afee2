"""Service URLs carry passwords: like every secret they may be read from `NAME_FILE`."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRINT_SETTINGS = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'db': settings.DATABASES['default']['NAME'], "
    "'cache': settings.CACHES['default'].get('LOCATION'), "
    "'broker': settings.CELERY_BROKER_URL}))"
)


@pytest.mark.suite_independent
def test_database_redis_and_broker_urls_are_read_from_files_as_docker_and_kubernetes_mount_them(
    tmp_path,
):
    secrets = {
        "DATABASE_URL": "postgres://courseops:s3cret@db.internal:5432/courseops_from_file",
        "REDIS_URL": "redis://:s3cret@redis.internal:6379/3",
        "CELERY_BROKER_URL": "redis://:s3cret@broker.internal:6379/4",
    }
    env = {k: v for k, v in os.environ.items() if k not in secrets}
    for name, value in secrets.items():
        (tmp_path / name.lower()).write_text(value + "\n")
        env[f"{name}_FILE"] = str(tmp_path / name.lower())
    env["DJANGO_SETTINGS_MODULE"] = "courseops.settings"

    result = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == {
        "db": "courseops_from_file",
        "cache": secrets["REDIS_URL"],
        "broker": secrets["CELERY_BROKER_URL"],
    }
