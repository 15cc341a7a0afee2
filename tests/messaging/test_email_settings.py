"""Every email setting Django has is read from the environment and documented in
.env.example (issue 18: EMAIL_FILE_PATH was not, so the file backend failed)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import global_settings
from django.core.checks import run_checks

ROOT = Path(__file__).resolve().parents[2]
# Every email setting of the Django we run, so a new one is noticed.
EMAIL_SETTINGS = sorted(
    name
    for name in dir(global_settings)
    if name.startswith("EMAIL_") or name in ("DEFAULT_FROM_EMAIL", "SERVER_EMAIL")
)
PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.core.mail import send_mail
names = {names!r}
print(json.dumps({{name: getattr(settings, name) for name in names}}, default=str))
if {send!r}:
    send_mail("Hola", "Cuerpo", None, ["ana@example.com"])
"""


def _settings_under(env, *, send=False):
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(names=EMAIL_SETTINGS, send=send)],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _value_for(name, tmp_path):
    default = getattr(global_settings, name)
    if isinstance(default, bool):
        return "true", True
    if isinstance(default, int) or name == "EMAIL_TIMEOUT":
        return "2525", 2525
    if name == "EMAIL_FILE_PATH":
        return str(tmp_path / "mails"), str(tmp_path / "mails")
    if name == "EMAIL_BACKEND":
        backend = "django.core.mail.backends.filebased.EmailBackend"
        return backend, backend
    return f"x-{name.lower()}@example.com", f"x-{name.lower()}@example.com"


@pytest.mark.suite_independent
def test_every_email_setting_is_read_from_the_environment(tmp_path):
    values = {name: _value_for(name, tmp_path) for name in EMAIL_SETTINGS}

    seen = _settings_under({name: raw for name, (raw, _expected) in values.items()})

    assert {name: seen[name] for name in EMAIL_SETTINGS} == {
        name: expected for name, (_raw, expected) in values.items()
    }


@pytest.mark.suite_independent
def test_the_file_backend_writes_to_the_email_file_path_of_the_environment(tmp_path):
    folder = tmp_path / "outbox-files"
    _settings_under(
        {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(folder),
        },
        send=True,
    )

    [written] = list(folder.iterdir())
    assert "Subject: Hola" in written.read_text()


def test_every_email_setting_is_documented_in_env_example():
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert [name for name in EMAIL_SETTINGS if name not in documented] == []


def test_tls_and_ssl_together_fail_the_system_check(settings):
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = True
    assert "messaging.E004" in [message.id for message in run_checks()]
