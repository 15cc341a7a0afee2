"""Demo social channels (console: nothing leaves the machine) with weekday slots, past
published posts with clicks (so best slots are suggested), the approved webinar drafts
scheduled, and a topic drafted by the AI waiting for review."""

from datetime import timedelta

from django.utils import timezone

from marketing.social.drafts import draft_from_brief
from marketing.social.models import SocialBrief, SocialChannel, SocialClick, SocialPost
from marketing.social.schedule import schedule_approved_drafts

SLOTS = {"0": ["09:00"], "1": ["13:00"], "2": ["09:00", "18:00"], "3": ["13:00"], "4": ["10:00"]}
HUMAN = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile"


def load_social_demo(*, staff):
    if SocialChannel.objects.exists():
        return
    linkedin = SocialChannel.objects.create(name="Escuela IA", network="linkedin", slots=SLOTS)
    SocialChannel.objects.create(name="@escuela_ia", network="x", slots=SLOTS)
    now = timezone.now()
    for week in range(1, 5):  # four weeks of posts: Wednesdays at 09:00 draw more clicks
        for days, clicks in ((7 * week + 2, 6 + week), (7 * week + 4, 1)):
            at = (now - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
            post = SocialPost.objects.create(
                channel=linkedin,
                text=f"Publicación de demostración ({at:%d/%m})",
                scheduled_at=at,
                status=SocialPost.Status.PUBLISHED,
                published_at=at,
                external_id=f"demo-{week}-{days}",
            )
            SocialClick.objects.bulk_create(
                SocialClick(
                    post=post, url="https://escuela.example.com/", at=at + timedelta(hours=1)
                )
                for _ in range(clicks)
            )
    schedule_approved_drafts()
    brief = SocialBrief.objects.create(
        topic="Agentes de IA para pymes",
        details="Un agente responde correos de clientes y agenda citas sin programar.",
        link="https://escuela.example.com/agentes/",
    )
    draft_from_brief(brief=brief, user=staff)
