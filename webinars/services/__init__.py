"""The webinars API other code calls. Keyword-only arguments everywhere."""

from webinars.services.registrations import (
    RegistrationError,
    register_onboarded_student,
    registration_cancel,
    registration_confirm,
    registration_create,
)
from webinars.services.reminders import (
    deliver_reminders,
    reminder_text_apply,
    reminder_text_draft,
    scan_due_reminders,
    send_test_reminder,
)
from webinars.services.webinars import (
    DEFAULT_REMINDERS,
    webinar_cancel,
    webinar_create,
    webinar_reschedule,
    webinar_schedule,
    webinars_advance_status,
)

__all__ = [
    "DEFAULT_REMINDERS",
    "RegistrationError",
    "deliver_reminders",
    "register_onboarded_student",
    "registration_cancel",
    "registration_confirm",
    "registration_create",
    "reminder_text_apply",
    "reminder_text_draft",
    "scan_due_reminders",
    "send_test_reminder",
    "webinar_cancel",
    "webinar_create",
    "webinar_reschedule",
    "webinar_schedule",
    "webinars_advance_status",
]
