"""The student's form: real inputs for country, time zone, phone and interests."""

from collections import Counter

from django import forms

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


class StudentForm(forms.ModelForm):
    phone = PhoneField(required=False, label=Student._meta.get_field("phone").verbose_name)
    country = CountryChoiceField(
        required=False, label=Student._meta.get_field("country").verbose_name
    )
    time_zone = TimeZoneChoiceField(label=Student._meta.get_field("time_zone").verbose_name)
    interests = TagsField(
        suggestions=known_interests, label=Student._meta.get_field("interests").verbose_name
    )

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
