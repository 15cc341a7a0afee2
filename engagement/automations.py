"""The automations of this app whose rollout staff stage (courseops.reviews.automations):
the names their messages carry in the outbox and the kinds of their drafts."""

NUDGES = "nudges"
FAQ_ANSWERS = "faq_answers"
NUDGE_KINDS = ["nudge_inactive", "nudge_pending", "congratulations"]
# The onboarding drip's drafts join students' `onboarding` automation (the welcome's).
DRIP_KIND = "onboarding_drip"
