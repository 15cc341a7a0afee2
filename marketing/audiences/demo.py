"""A demo audience (console: nothing leaves the machine) synced once, with its log."""

from marketing.audiences.models import AdAudience
from marketing.audiences.services import sync_audience
from marketing.models import Segment


def load_audiences_demo(*, staff):
    segment = Segment.objects.filter(name__startswith="Interesados en IA").first()
    if segment is None or AdAudience.objects.exists():
        return
    audience = AdAudience.objects.create(name="Retargeting interesados (demo)", segment=segment)
    sync_audience(audience=audience)
