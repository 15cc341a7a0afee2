"""docs/security.md lists every control with its test: each test it names exists."""

import re

from django.conf import settings

DOC = settings.BASE_DIR / "docs" / "security.md"
REFERENCE = re.compile(r"`([\w/]+\.py)?::(\w+)`")


def test_every_test_named_in_the_security_table_exists():
    missing, named = [], 0
    for line in DOC.read_text(encoding="utf-8").splitlines():
        current = None  # `::name` continues the file named before it in the same row
        for match in REFERENCE.finditer(line):
            current = match[1] or current
            path = settings.BASE_DIR / "tests" / current
            named += 1
            if not path.exists() or f"def {match[2]}(" not in path.read_text(encoding="utf-8"):
                missing.append(f"{current}::{match[2]}")
    assert named > 40
    assert missing == []
