"""Typed access to environment variables, shared by settings and system checks."""

from pathlib import Path

import environ

env = environ.Env()
_dotenv = Path(__file__).resolve().parent.parent / ".env"
if _dotenv.exists():
    environ.Env.read_env(str(_dotenv), overwrite=False)

_MISSING = object()


def env_secret(name, default=_MISSING):
    """A secret from `NAME`, or from the file named by `NAME_FILE` (Docker/K8s secrets).

    A default of None means the variable is required.
    """
    file_path = env.str(f"{name}_FILE", default="")
    if file_path:
        return Path(file_path).read_text().strip()
    if default is None:
        return env.str(name)
    return env.str(name, default=default)
