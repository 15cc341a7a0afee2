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
