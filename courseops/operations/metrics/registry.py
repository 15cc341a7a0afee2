"""Gauges computed when Prometheus scrapes /metrics, each from one set-based query.

Core gauges live in `gauges.py`; a domain app adds its own in a `metrics.py` module:

    from courseops.operations.metrics.registry import gauge

    @gauge("courseops_lessons_pending", "Lessons waiting for materials", labels=("course",))
    def lessons_pending():
        for row in Lesson.objects.values("course__slug").annotate(n=Count("pk")):
            yield (row["course__slug"],), row["n"]

A gauge yields `(label values, number)` pairs (an empty tuple when it has no labels).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.module_loading import autodiscover_modules
from prometheus_client import CollectorRegistry, PlatformCollector, ProcessCollector
from prometheus_client.core import GaugeMetricFamily

from courseops.core.logging import get_logger

logger = get_logger(__name__)


@dataclass(frozen=True)
class Gauge:
    name: str
    documentation: str
    labels: tuple[str, ...]
    collect: Callable[[], Iterable[tuple[tuple, float]]]


_GAUGES: dict[str, Gauge] = {}


def gauge(name: str, documentation: str, *, labels: tuple[str, ...] = ()):
    def register(fn):
        _GAUGES[name] = Gauge(name=name, documentation=documentation, labels=labels, collect=fn)
        return fn

    return register


def registered_gauges() -> dict[str, Gauge]:
    from courseops.operations.metrics import gauges  # noqa: F401  (the core's own gauges)

    autodiscover_modules("metrics")
    return dict(_GAUGES)


class DomainCollector:
    """prometheus-client calls `collect()` on every scrape; a gauge that fails is left out
    of that scrape (and logged) rather than failing the whole page."""

    def collect(self):
        for spec in registered_gauges().values():
            family = GaugeMetricFamily(spec.name, spec.documentation, labels=list(spec.labels))
            try:
                for label_values, value in spec.collect():
                    family.add_metric([str(label) for label in label_values], float(value))
            except Exception:  # a broken gauge must not take the other metrics down
                logger.exception("metrics.gauge_failed", gauge=spec.name)
                continue
            yield family


def scrape_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    registry.register(DomainCollector())
    return registry
