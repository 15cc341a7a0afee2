"""The student's form: real inputs for country, time zone, phone and interests."""

from collections import Counter

from django import forms
from django.utils.text import capfirst

from courseops.core.inputs import CountryChoiceField, PhoneField, TagsField, TimeZoneChoiceField
from students.models import Student

# Interests offered as suggestions come from the newest students' (bounded: one query of
# a few hundred rows whatever the size of the school).
SUGGESTION_SAMPLE = 500


def known_interests():
    counts = Counter()
    for interests in Student.objects.order_by("-created_at").values_list("interests", flat=True)[
        :SUGGESTION_SAMPLE
    ]:
        counts.update(str(i) for i in interests or [] if str(i).strip())
    return [tag for tag, _count in counts.most_common(100)]


def _label(name):
    return capfirst(Student._meta.get_field(name).verbose_name)


class StudentForm(forms.ModelForm):
    phone = PhoneField(required=False, label=_label("phone"))
    country = CountryChoiceField(required=False, label=_label("country"))
    time_zone = TimeZoneChoiceField(label=_label("time_zone"))
    interests = TagsField(suggestions=known_interests, label=_label("interests"))

    class Meta:
        model = Student
        fields = [
            "full_name",
            "email",
            "phone",
            "country",
            "time_zone",
            "language",
            "plan",
            "interests",
            "stripe_customer_id",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_term",
            "utm_content",
            "consent_given",
        ]
