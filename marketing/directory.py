"""What marketing tells the outbox about people (registered in `MarketingConfig.ready`).

The outbox asks at queue time who an address belongs to (one budget per person, their
time zone for quiet hours) and at send time whether a marketing message may go.
"""

from django.db.models.functions import Lower

from courseops.messaging.hooks import Person
from courseops.messaging.models import Category
from marketing.models import Consent, Lead, Purpose
from students.models import Student

# A push notice's address is the person's email (the browsers they subscribed to push);
# marketing by push needs the newsletter consent, as by email.
CHANNEL_FIELD = {"email": "email", "sms": "phone", "push": "email"}
CHANNEL_PURPOSE = {
    "email": Purpose.NEWSLETTER,
    "sms": Purpose.MARKETING_SMS,
    "push": Purpose.NEWSLETTER,
}


def person_for(channel, address):
    """A contact or a student with this address, keyed by their email (the person's
    email and phone share one key); None if nobody here has it."""
    field = CHANNEL_FIELD[channel]
    lead = Lead.objects.filter(**{field: address}).values("email", "time_zone").first()
    if lead:
        return Person(key=lead["email"], time_zone=lead["time_zone"])
    students = Student.objects.all()
    if field == "email":
        students = students.annotate(email_ci=Lower("email")).filter(email_ci=address)
    else:
        students = students.filter(phone=address)
    student = students.values("email", "time_zone").first()
    if student:
        return Person(key=student["email"].lower(), time_zone=student["time_zone"])
    return None


def marketing_consent(channel, address, category):
    """Marketing goes only to contacts with a granted consent for that channel's purpose."""
    if category != Category.MARKETING:
        return None
    return Consent.objects.filter(
        purpose=CHANNEL_PURPOSE[channel],
        status=Consent.Status.GRANTED,
        **{f"lead__{CHANNEL_FIELD[channel]}": address},
    ).exists()
