"""The chaos harness drives the real processes with Python snippets kept as strings in
bench/chaos.py; nothing else imports what they name, so a moved module only shows up when
CI's chaos pass dies. Every name those scripts import must exist."""

import ast
import importlib

import pytest

from bench import chaos

SCRIPTS = {"sweep": chaos.SWEEP} | {name: script for name, script, *_ in chaos.SCENARIOS}


def _imports(script):
    for node in ast.walk(ast.parse(script)):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                yield node.module, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_every_name_a_chaos_script_imports_exists(name):
    missing = []
    for module, attr in _imports(SCRIPTS[name]):
        try:
            imported = importlib.import_module(module)
        except ImportError:
            missing.append(module)
            continue
        if attr and not hasattr(imported, attr):
            try:
                importlib.import_module(f"{module}.{attr}")
            except ImportError:
                missing.append(f"{module}.{attr}")
    assert not missing, f"the {name} script imports what does not exist: {missing}"
