from django.core.management.base import BaseCommand, CommandError

from marketing.models import Campaign
from marketing.services.campaigns import (
    CampaignError,
    advance_campaign,
    audience,
    check_ready,
    schedule_campaign,
    start_campaign,
)


class Command(BaseCommand):
    help = "Send an approved campaign now, in batches (or --dry-run: say who would get it)."

    def add_arguments(self, parser):
        parser.add_argument("campaign_id", type=int)
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the audience; queue nothing."
        )

    def handle(self, *args, campaign_id, dry_run, **options):
        campaign = Campaign.objects.filter(pk=campaign_id).first()
        if campaign is None:
            raise CommandError(f"No campaign {campaign_id}.")
        try:
            variants = check_ready(campaign)
        except CampaignError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if dry_run:
            total = audience(campaign).count()
            labels = ", ".join(f"{v.label}: {v.approved_subject}" for v in variants)
            self.stdout.write(
                f"DRY RUN: '{campaign}' would go to {total} contacts "
                f"({campaign.get_status_display()}); variants {labels}."
            )
            return
        if campaign.status == Campaign.Status.DRAFT:
            campaign.send_at = None
            schedule_campaign(campaign=campaign)
            campaign.refresh_from_db()
        if campaign.status == Campaign.Status.SCHEDULED:
            start_campaign(campaign=campaign)
        queued = 0
        while sent := advance_campaign(campaign_id=campaign.pk):
            queued += sent
        campaign.refresh_from_db()
        self.stdout.write(
            self.style.SUCCESS(
                f"'{campaign}': {queued} emails queued now; "
                f"status {campaign.get_status_display()}, phase {campaign.phase or '-'}."
            )
        )
