"""Activity reported from outside (an LMS's API batches, CSV exports): validated row by
row, with the errors of each row said, before anything is stored."""

import json
from datetime import timedelta

from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from engagement.models import ActivityKind
from engagement.services.activity import Activity
from students.models import Student

MAX_BATCH = 1000
# A clock a little ahead is tolerated; an event days in the future is a sender's bug.
FUTURE_TOLERANCE = timedelta(minutes=10)


class AwareDateTimeField(serializers.DateTimeField):
    """A timestamp with its offset: guessing the zone of an LMS's clock would shift events."""

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            raise serializers.ValidationError(
                _("Incluye la zona horaria (p. ej. 2026-11-20T10:00:00Z).")
            )
        return super().enforce_timezone(value)


class ActivityRow(serializers.Serializer):
    """One reported event. The student is given by our id, email or LMS user id."""

    id = serializers.CharField(max_length=150, help_text=gettext_lazy("Id del evento del emisor."))
    student_id = serializers.IntegerField(required=False, min_value=1)
    email = serializers.EmailField(required=False)
    lms_user_id = serializers.CharField(required=False, max_length=64)
    kind = serializers.ChoiceField(choices=ActivityKind.choices)
    occurred_at = AwareDateTimeField()
    object_type = serializers.CharField(required=False, allow_blank=True, max_length=50)
    object_id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    metadata = serializers.DictField(required=False)

    def validate_occurred_at(self, value):
        if value > timezone.now() + FUTURE_TOLERANCE:
            raise serializers.ValidationError(_("La fecha está en el futuro."))
        return value

    def validate_metadata(self, value):
        if len(json.dumps(value, default=str)) > 2000:
            raise serializers.ValidationError(_("Los datos ocupan más de 2000 caracteres."))
        return value

    def validate(self, attrs):
        if not any(attrs.get(key) for key in ("student_id", "email", "lms_user_id")):
            raise serializers.ValidationError(
                {"student": _("Indica student_id, email o lms_user_id.")}
            )
        return attrs


def parse_rows(rows, *, source, id_prefix=""):
    """(activities, errors): errors is a list of {"index", "id", "errors"}; when it is not
    empty the caller stores nothing (the sender fixes the rows and sends them again)."""
    valid, errors = [], []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            errors.append(
                {"index": index, "id": None, "errors": {"event": [_("Debe ser un objeto.")]}}
            )
            continue
        serializer = ActivityRow(data=row)
        if serializer.is_valid():
            valid.append((index, serializer.validated_data))
        else:
            errors.append({"index": index, "id": row.get("id"), "errors": serializer.errors})
    students = _students_for([data for _index, data in valid])
    activities = []
    for index, data in valid:
        student = _match(students, data)
        if student is None:
            errors.append(
                {
                    "index": index,
                    "id": data["id"],
                    "errors": {"student": [_("Estudiante desconocido.")]},
                }
            )
            continue
        metadata = dict(data.get("metadata") or {})
        for key in ("object_type", "object_id"):
            if data.get(key):
                metadata[key] = data[key]
        activities.append(
            Activity(
                student=student,
                kind=data["kind"],
                occurred_at=data["occurred_at"],
                source=source,
                external_id=f"{id_prefix}{data['id']}",
                metadata=metadata,
            )
        )
    errors.sort(key=lambda error: error["index"])
    return activities, errors


def _students_for(rows):
    """Every student the rows name, in one query (emails matched case-insensitively, as
    their unique index on lower(email) does)."""
    ids = {row["student_id"] for row in rows if row.get("student_id")}
    emails = {row["email"].lower() for row in rows if row.get("email")}
    lms_ids = {row["lms_user_id"] for row in rows if row.get("lms_user_id")}
    found = {"id": {}, "email": {}, "lms": {}}
    if not (ids or emails or lms_ids):
        return found
    students = Student.objects.annotate(email_lower=Lower("email")).filter(
        Q(pk__in=ids) | Q(email_lower__in=emails) | Q(lms_user_id__in=lms_ids)
    )
    for student in students:
        found["id"][student.pk] = student
        found["email"][student.email_lower] = student
        if student.lms_user_id:
            found["lms"][student.lms_user_id] = student
    return found


def _match(students, row):
    if row.get("student_id"):
        return students["id"].get(row["student_id"])
    if row.get("email"):
        return students["email"].get(row["email"].lower())
    return students["lms"].get(row["lms_user_id"])
