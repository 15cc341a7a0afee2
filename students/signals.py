"""What the students app tells the floors above it (they listen; students imports none)."""

from django.dispatch import Signal

# Sent by the "webinars" onboarding step; receivers register the student for what their
# plan includes and return a short description, e.g. {"registered": 2}.
# kwargs: student
student_onboarded = Signal()

# Sent while drafting the welcome email; receivers return a dict merged into the prompt's
# context, e.g. the webinars app: {"next_webinar": {"title": ..., "when": ...}}.
# kwargs: student
welcome_email_context = Signal()

# A student signed in (portal link, or an external LMS that reports it).
# kwargs: student, at (aware datetime), source ("portal", "thinkific", ...)
student_signed_in = Signal()

# A response to a Typeform form marked as a lead form (`TypeformForm.Purpose.LEAD`).
# kwargs: form (TypeformForm), data (our field names, as for registrations),
# consent_texts ({"consent": "<question shown>", "sms_consent": ...}), external_id
# ("<form id>:<response token>", the same however often Typeform redelivers it)
typeform_lead_received = Signal()

# A checkout link was created for someone whose email we know (before they pay).
# kwargs: email, plan (Plan), session_id (the Checkout Session id)
checkout_started = Signal()

# A subscription Checkout Session expired unpaid (`STRIPE_CHECKOUT_EXPIRES_HOURS` after it
# started; Stripe's checkout.session.expired), for a person with no live subscription.
# kwargs: email, plan (Plan or None), session_id
checkout_abandoned = Signal()

# A cancelled subscription ended the student's access (no other live subscription). Sent
# once, inside the transaction that cuts the access.
# kwargs: student, subscription
subscription_cancelled = Signal()

# A student's plan changed (an upgrade at any door, Stripe, staff). Sent from a task after
# the change committed; receivers give what the new plan includes (the webinars app
# registers the student to its upcoming webinars) and return a short description.
# kwargs: student
student_plan_changed = Signal()
