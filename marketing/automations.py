"""The automations of this app whose rollout staff stage (courseops.reviews.automations):
the names their messages carry in the outbox and the kinds of their drafts."""

CAMPAIGNS = "campaigns"
