"""Which conditions need a person. Core checks live in `checks.py`; a domain app adds its
own in an `alerts.py` module (discovered like `admin.py`):

    from courseops.operations.alerts.registry import Finding, alert_check

    @alert_check("students.payment_failures", "Pagos fallidos en aumento")
    def payment_failures_rising(now):
        if ...:
            yield Finding(title="...", detail="...")

A check returns the problems it sees right now, each with a `key` (a provider name, "",
...) so that one check can hold several incidents open at once. Evaluation turns a key
that appears into one incident and its disappearance into one resolution: a check only
says what is wrong, never whether it already said so.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils.module_loading import autodiscover_modules


@dataclass(frozen=True)
class Finding:
    title: str
    detail: str = ""
    key: str = ""
    severity: str = ""  # "" : the check's own severity


@dataclass(frozen=True)
class AlertCheck:
    name: str
    label: str
    run: Callable[[datetime], Iterable[Finding]]
    severity: str = "warning"  # "critical", "warning" or "info" (operations.models.Severity)


class NotReady(Exception):  # noqa: N818  (a state, not a fault)
    """Raised by a check whose inputs are not there yet (figures still being computed): it
    can tell neither that something is wrong nor that it is fine, so its incidents stay
    as they are."""


_CHECKS: dict[str, AlertCheck] = {}


def alert_check(name: str, label: str, severity: str = "warning"):
    """Decorator registering `fn(now) -> iterable of Finding` under `name`; `severity` is
    how urgent its incidents are unless a finding says otherwise."""

    def register(fn):
        _CHECKS[name] = AlertCheck(name=name, label=label, run=fn, severity=severity)
        return fn

    return register


def registered_checks() -> dict[str, AlertCheck]:
    from courseops.operations.alerts import checks  # noqa: F401  (the core's own checks)

    autodiscover_modules("alerts")
    return dict(_CHECKS)
