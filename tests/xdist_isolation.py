"""Each pytest-xdist worker gets its own Redis db and its own var folder.

Loaded as a plugin (`-p tests.xdist_isolation` in pyproject's addopts) so it runs before
pytest-django reads the settings: the settings build the cache, the broker and the SQLite
path from these variables at import. pytest-django already gives each worker its own test
database (a `_gw<N>` suffix). Process tests inherit the variables, so a worker or beat
they start talks to the same Redis db and folders as the test that started it.
"""

import os
import re

_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw"):
    _index = int(_worker[2:])
    _redis = os.environ.get("REDIS_URL", "")
    if _redis:
        # redis://host:port/N -> N + 1 + worker index (db N is left to a serial run).
        match = re.match(r"^(?P<base>rediss?://[^/]+)(?:/(?P<db>\d+))?$", _redis)
        if not match:
            raise RuntimeError(f"REDIS_URL not understood for a per-worker db: {_redis}")
        db = int(match["db"] or 0) + 1 + _index
        os.environ["REDIS_URL"] = f"{match['base']}/{db}"
    var_dir = os.environ.get("COURSEOPS_VAR_DIR")
    if var_dir:
        os.environ["COURSEOPS_VAR_DIR"] = os.path.join(var_dir, _worker)
