"""Every door a contact comes in by (API, CSV, webinar registration, admin) ends here.

One email (any case) is one contact, and a contact whose email is a student's is linked to
that student, never copied. A known contact is updated, never duplicated: empty fields are
filled, what they told us before is not overwritten, tags and interests are added, the
stage only moves forward and the last touch (source and UTM) is recorded.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.audit.services import log_action
from marketing import webhook_events
from marketing.analytics.models import Conversion
from marketing.analytics.services import client_id_from, has_consent, record_conversion
from marketing.models import (
    STAGE_ORDER,
    Lead,
    LeadForm,
    Purpose,
    Recipient,
    Sequence,
    Stage,
    Tag,
)
from marketing.services.consent import request_consent, send_confirmation_on_commit
from marketing.services.sequences import enrol
from students.intake.validation import (
    UTM_FIELDS,
    Cleaned,
    clean_consent,
    clean_country,
    clean_email,
    clean_interests,
    clean_language,
    clean_phone,
    clean_time_zone,
)
from students.models import Student

# The keys `capture_lead` reads from `data`.
LEAD_FIELDS = (
    "email",
    "name",
    "phone",
    "country",
    "time_zone",
    "language",
    "interests",
    "tags",
    "consent",
    "sms_consent",
    *UTM_FIELDS,
    "referrer",
)
# A contact who becomes a student this soon after a campaign counts as its conversion.
CONVERSION_WINDOW = timedelta(days=14)
# Filled on a known contact only while still empty.
FILLABLE = ("name", "phone", "country")


@dataclass
class LeadResult:
    lead: Lead | None = None
    created: bool = False
    errors: dict = field(default_factory=dict)


def _text(value, limit):
    return " ".join(str(value or "").split())[:limit]


def clean_lead(data) -> Cleaned:
    """Validate `data` (keys of LEAD_FIELDS) with the same rules as student intake."""
    result = Cleaned()
    if not isinstance(data, dict):
        result.add_error("__all__", _("Los datos del contacto deben ser un objeto."))
        return result
    clean_email(data.get("email"), result)
    if _text(data.get("name") or data.get("full_name"), 200):
        result.values["name"] = _text(data.get("name") or data.get("full_name"), 200)
    clean_country(data.get("country"), result)
    clean_phone(data.get("phone"), result)
    clean_time_zone(data.get("time_zone"), result)
    clean_language(data.get("language"), result)
    result.values["interests"] = clean_interests(data.get("interests"))
    result.values["tags"] = clean_interests(data.get("tags"))
    result.values["consent"] = clean_consent(data.get("consent"))
    result.values["sms_consent"] = clean_consent(data.get("sms_consent"))
    result.values["analytics_consent"] = clean_consent(data.get("analytics_consent"))
    result.values["ga_client_id"] = client_id_from(data.get("ga_client_id"))
    result.values["utm"] = {
        name: _text(data.get(name), 100) for name in UTM_FIELDS if _text(data.get(name), 100)
    }
    # Where the person came from (a landing page's referrer) travels with the UTM.
    if _text(data.get("referrer"), 300):
        result.values["utm"]["referrer"] = _text(data.get("referrer"), 300)
    # Only what the person actually gave may change a known contact.
    result.values["given"] = {name for name in ("time_zone", "language") if data.get(name)}
    return result


def find_lead(email, *, lock=False):
    queryset = Lead.objects.annotate(email_ci=Lower("email")).filter(email_ci=email.lower())
    return (queryset.select_for_update() if lock else queryset).first()


def find_student(email):
    return Student.objects.annotate(email_ci=Lower("email")).filter(email_ci=email.lower()).first()


def advance_stage(lead, stage):
    """Move forward only; becoming a customer again after churning is forward too."""
    if stage == Stage.CUSTOMER and lead.stage == Stage.CHURNED:
        return True
    return STAGE_ORDER.index(stage) > STAGE_ORDER.index(lead.stage)


def _tags(names):
    if not names:
        return []
    Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    return list(Tag.objects.filter(name__in=names))


def _new_lead(values, *, source, form, stage):
    email = values["email"].lower()
    student = find_student(email)
    lead = Lead(
        email=email,
        name=values.get("name", "") or (student.full_name if student else ""),
        phone=values.get("phone", "") or (student.phone if student else ""),
        country=values.get("country", "") or (student.country if student else ""),
        time_zone=student.time_zone if student and "time_zone" not in values["given"] else "",
        language=values["language"],
        student=student,
        stage=Stage.CUSTOMER if student else stage,
        form=form,
        first_source=source,
        first_utm=values["utm"],
        last_source=source,
        last_utm=values["utm"],
    )
    lead.time_zone = lead.time_zone or values["time_zone"]
    try:
        with transaction.atomic():
            lead.save()
    except IntegrityError:
        return None  # created by a concurrent request: the caller updates that one
    return lead


def _update_lead(lead, values, *, source, stage):
    changed = []
    for name in FILLABLE:
        if values.get(name) and not getattr(lead, name):
            setattr(lead, name, values[name])
            changed.append(name)
    if advance_stage(lead, stage):
        lead.stage = stage
        changed.append("stage")
    lead.last_source, lead.last_utm = source, values["utm"] or lead.last_utm
    lead.last_seen_at = timezone.now()
    lead.save(update_fields=[*changed, "last_source", "last_utm", "last_seen_at", "updated_at"])
    return changed


def capture_lead(
    *,
    data,
    source,
    form: LeadForm | None = None,
    ip=None,
    stage=Stage.LEAD,
    double_opt_in=None,
    user=None,
) -> LeadResult:
    """Create or update the contact for `data`; record the consents it carries.

    `double_opt_in` defaults to the form's setting, and to True without a form: consent
    is then pending until the person clicks the emailed link.
    """
    cleaned = clean_lead(data)
    if cleaned.errors:
        return LeadResult(errors=cleaned.errors)
    values = cleaned.values
    if double_opt_in is None:
        double_opt_in = form.double_opt_in if form else True
    with transaction.atomic():
        lead = find_lead(values["email"], lock=True)
        created = False
        if lead is None:
            lead = _new_lead(values, source=source, form=form, stage=stage)
            created = lead is not None
            lead = lead or find_lead(values["email"], lock=True)
        changed = [] if created else _update_lead(lead, values, source=source, stage=stage)
        tags = _tags(values["tags"]) + (list(form.tags.all()) if form else [])
        if tags:
            lead.tags.add(*tags)
        if values["interests"]:
            lead.interests.add(*_tags(values["interests"]))
        where = f"{source}:{form.slug}" if form else source
        if values["consent"]:
            request_consent(
                lead=lead,
                purpose=Purpose.NEWSLETTER,
                source=where,
                text=data.get("consent_text") or (form and form.newsletter_text) or "",
                ip=ip,
                double_opt_in=double_opt_in,
            )
        if values["sms_consent"] and lead.phone:
            request_consent(
                lead=lead,
                purpose=Purpose.MARKETING_SMS,
                source=where,
                text=data.get("sms_consent_text") or (form and form.sms_text) or "",
                ip=ip,
                double_opt_in=double_opt_in,
            )
        if values["analytics_consent"]:
            request_consent(
                lead=lead,
                purpose=Purpose.ANALYTICS,
                source=where,
                text=data.get("analytics_consent_text") or "",
                ip=ip,
                double_opt_in=False,  # measurement sends nothing to confirm
            )
        # The GA client id is kept only under a valid measurement consent (given now or
        # before): without it the cookie's value is not ours to store.
        if (
            values["ga_client_id"]
            and values["ga_client_id"] != lead.ga_client_id
            and has_consent(lead)
        ):
            lead.ga_client_id = values["ga_client_id"]
            lead.save(update_fields=["ga_client_id", "updated_at"])
        send_confirmation_on_commit(lead)
        if form is not None:
            enrol(lead=lead, trigger=Sequence.Trigger.FORM, form=form)
        log_action(
            lead,
            "marketing.lead.created" if created else "marketing.lead.updated",
            user=user,
            data={"source": where, "changed": changed},
        )
        if created:
            webhook_events.lead_created(lead)
            record_conversion(
                lead=lead,
                event=Conversion.Event.LEAD,
                ref=f"lead:{lead.pk}",
                params={"source": where},
            )
    return LeadResult(lead=lead, created=created)


def link_student(student):
    """A new student whose email is a contact's: link them (one person, one contact)."""
    lead = find_lead(student.email)
    if lead is None or lead.student_id:
        return None
    lead.student = student
    lead.stage = Stage.CUSTOMER
    lead.save(update_fields=["student", "stage", "updated_at"])
    log_action(lead, "marketing.lead.linked_to_student", data={"student": student.pk})
    webhook_events.lead_converted(lead, student)
    # Becoming a student within the window after a campaign is that campaign's conversion.
    now = timezone.now()
    Recipient.objects.filter(
        lead=lead, converted_at=None, queued_at__gte=now - CONVERSION_WINDOW
    ).update(converted_at=now)
    return lead
