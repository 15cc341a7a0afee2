"""Registration API (the reference document's Spanish endpoint) and the English resource
API integrations read students and their onboarding from. Views are thin: the service
validates, dedupes and records."""

from datetime import UTC, datetime, time

from django.urls import path, re_path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import exceptions, generics, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from courseops.core.api import error_body, invalid, strict_input
from courseops.core.idempotency import IdempotentPost
from students.intake.services import errors_for_person, register_student
from students.models import IntakeRecord, OnboardingStep, Student
from students.onboarding.status import CODES as STATUS_CODES
from students.onboarding.status import onboarding_status

# Spanish keys of the reference document -> the service's keys (English keys also work).
SPANISH_KEYS = {
    "nombre": "full_name",
    "telefono": "phone",
    "teléfono": "phone",
    "pais": "country",
    "país": "country",
    "zona_horaria": "time_zone",
    "idioma": "language",
    "intereses": "interests",
    "consentimiento": "consent",
    "consentimiento_sms": "sms_consent",
}


class RegistrationInput(serializers.Serializer):
    """The body, with the JSON type of each field (checked strictly: a list where a string
    belongs is a 400). Values are judged by the intake service, shared by every door.
    English keys work too: full_name, phone, country, time_zone, language, interests,
    consent, sms_consent; `correo` for email."""

    email = serializers.CharField(help_text="juan.perez@example.com")
    nombre = serializers.CharField(max_length=200, allow_blank=True)
    plan = serializers.CharField(max_length=100, allow_blank=True, help_text="basico, premium")
    intereses = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=50
    )
    telefono = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text="+52 55 1234 5678"
    )
    pais = serializers.CharField(
        max_length=60, required=False, allow_blank=True, help_text="ISO 3166-1 alfa-2: MX, ES"
    )
    zona_horaria = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="America/Mexico_City"
    )
    idioma = serializers.CharField(
        max_length=30, required=False, allow_blank=True, help_text="es, en o pt"
    )
    consentimiento = serializers.BooleanField(required=False)
    consentimiento_sms = serializers.BooleanField(
        required=False,
        help_text="Sí a recordatorios por SMS; la persona vio el texto de "
        "students.intake.validation.SMS_CONSENT_TEXT. Sin teléfono no se guarda.",
    )
    utm_source = serializers.CharField(max_length=100, required=False, allow_blank=True)
    utm_medium = serializers.CharField(max_length=100, required=False, allow_blank=True)
    utm_campaign = serializers.CharField(max_length=100, required=False, allow_blank=True)
    utm_term = serializers.CharField(max_length=100, required=False, allow_blank=True)
    utm_content = serializers.CharField(max_length=100, required=False, allow_blank=True)


# Other keys the body may use for a field: the service's English names, accents, `correo`.
REGISTRATION_ALIASES = {
    "correo": "email",
    "teléfono": "telefono",
    "país": "pais",
    **{english: spanish for spanish, english in SPANISH_KEYS.items() if "é" not in spanish
       and "í" not in spanish},
}  # fmt: skip
# The service's field names -> the input's (for naming the service's errors).
FIELD_FOR_SERVICE_KEY = {
    service: spanish for spanish, service in SPANISH_KEYS.items() if spanish.isascii()
}

RegistrationOutput = inline_serializer(
    "RegistrationCreated",
    {
        "estudiante_id": serializers.CharField(),
        "estado": serializers.ChoiceField(choices=STATUS_CODES),
        "estado_texto": serializers.CharField(help_text="El estado en palabras."),
        "acceso_plataforma": serializers.URLField(allow_null=True),
        "url_estado": serializers.URLField(),
    },
)
RegistrationConflict = inline_serializer(
    "RegistrationConflict",
    {
        "detail": serializers.CharField(),
        "errores": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField())
        ),
        "estudiante_id": serializers.CharField(required=False),
        "estado": serializers.ChoiceField(choices=STATUS_CODES, required=False),
        "estado_texto": serializers.CharField(required=False),
        "acceso_plataforma": serializers.URLField(allow_null=True, required=False),
        "url_estado": serializers.URLField(required=False),
    },
)


def platform_access(student, steps):
    """Where the student signs in, once their account step has run: the sign-in page, not
    the personal link the welcome email carries (that one is a credential)."""
    account = next((s for s in steps if s.name == OnboardingStep.Name.ACCOUNT), None)
    if account is None or account.status != OnboardingStep.Status.DONE:
        return None
    from students.onboarding.lms import sign_in_page

    return sign_in_page()


class RegistrationView(IdempotentPost, APIView):
    """Register one student and start their onboarding.

    `POST /api/v1/estudiantes/onboarding`. Send an `Idempotency-Key`: a retry with the
    same key and body replays the first answer."""

    queryset = Student.objects.none()
    throttle_scope = "registration"

    @extend_schema(
        summary="Register a student",
        request=RegistrationInput,
        responses={
            201: RegistrationOutput,
            409: OpenApiResponse(
                RegistrationConflict,
                description="The email is already a student's (the answer names them), or "
                "a request with the same Idempotency-Key is still running.",
                examples=[
                    OpenApiExample(
                        "already_registered",
                        value={
                            "detail": "El email ya está registrado.",
                            "errores": {"email": ["El email ya está registrado."]},
                            "estudiante_id": "42",
                            "estado": "completado",
                            "estado_texto": "Completado",
                            "acceso_plataforma": "https://example.com/portal/entrar/",
                            "url_estado": "https://example.com/api/v1/students/42/onboarding/",
                        },
                        status_codes=["409"],
                        response_only=True,
                    )
                ],
            ),
        },
    )
    def post(self, request):
        body = strict_input(request, RegistrationInput, aliases=REGISTRATION_ALIASES)
        data = {SPANISH_KEYS.get(key, key): value for key, value in body.values.items()}
        result = register_student(
            data=data, source=Student.Source.API, request_ip=request.META.get("REMOTE_ADDR")
        )
        record = result.record
        if record.status == IntakeRecord.Status.INVALID:
            errors = {
                FIELD_FOR_SERVICE_KEY.get(name, name): messages
                for name, messages in errors_for_person(record).items()
            }
            raise invalid(errors)
        student = record.student
        if student is None:  # deleted while we answered: nothing to point at
            return Response(
                error_body(_("El estudiante de este registro ya no existe.")),
                status=status.HTTP_409_CONFLICT,
            )
        answer = self.created(request, student)
        if record.status == IntakeRecord.Status.DUPLICATE:
            message = _("El email ya está registrado.")
            email_key = body.names.get("email", "email")
            return Response(
                {"detail": message, "errores": {email_key: [message]}, **answer},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(answer, status=status.HTTP_201_CREATED)

    def created(self, request, student):
        steps = list(student.onboarding_steps.all())
        state = onboarding_status(student, steps)
        return {
            "estudiante_id": str(student.pk),
            "estado": state.code,
            "estado_texto": state.text,
            "acceso_plataforma": platform_access(student, steps),
            "url_estado": request.build_absolute_uri(
                reverse("v1:student-onboarding", kwargs={"pk": student.pk})
            ),
        }


# --- English resource API ---------------------------------------------------------------


class StudentSerializer(serializers.ModelSerializer):
    plan = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Student
        fields = [
            "id",
            "full_name",
            "email",
            "phone",
            "country",
            "time_zone",
            "language",
            "interests",
            "plan",
            "status",
            "source",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_term",
            "utm_content",
            "consent_given",
            "consent_at",
            "sms_consent_at",
            "lms_user_id",
            "created_at",
            "activated_at",
        ]


class OnboardingStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = OnboardingStep
        fields = ["name", "status", "attempts", "started_at", "finished_at", "error", "detail"]


class NewestFirst(CursorPagination):
    ordering = ("-created_at", "-id")


def _date_param(request, name):
    """An ISO 8601 date or datetime, as a UTC datetime (PostgreSQL refuses offsets beyond
    ±15:59 that Python accepts); a date is its midnight in the project's zone."""
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        value = parse_datetime(raw) or parse_date(raw)
        if value is not None and not isinstance(value, datetime):
            value = datetime.combine(value, time.min)
        if value is not None:
            if timezone.is_naive(value):
                value = timezone.make_aware(value)
            value = value.astimezone(UTC)
    except (ValueError, OverflowError):
        value = None
    if value is None:
        raise exceptions.ValidationError({name: _("Usa una fecha u hora ISO 8601.")})
    return value


@extend_schema(
    parameters=[
        OpenApiParameter("plan", OpenApiTypes.STR, description="Plan slug"),
        OpenApiParameter("status", OpenApiTypes.STR, enum=Student.Status.values),
        OpenApiParameter("source", OpenApiTypes.STR, enum=Student.Source.values),
        OpenApiParameter("created_after", OpenApiTypes.DATETIME),
        OpenApiParameter("created_before", OpenApiTypes.DATETIME),
    ]
)
class StudentList(generics.ListAPIView):
    """List students.

    Newest first, cursor-paginated; filters by plan, status, source and creation date."""

    serializer_class = StudentSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        queryset = Student.objects.select_related("plan")
        params = self.request.query_params
        for name, lookup, choices in (
            ("plan", "plan__slug", None),
            ("status", "status", Student.Status.values),
            ("source", "source", Student.Source.values),
        ):
            value = params.get(name)
            if value:
                if choices and value not in choices:
                    raise exceptions.ValidationError({name: f"One of: {', '.join(choices)}."})
                queryset = queryset.filter(**{lookup: value})
        after, before = (
            _date_param(self.request, "created_after"),
            _date_param(self.request, "created_before"),
        )
        if after:
            queryset = queryset.filter(created_at__gte=after)
        if before:
            queryset = queryset.filter(created_at__lt=before)
        return queryset


class StudentDetail(generics.RetrieveAPIView):
    """Read one student."""

    serializer_class = StudentSerializer
    queryset = Student.objects.select_related("plan")


StudentOnboardingOutput = inline_serializer(
    "StudentOnboarding",
    {
        "student_id": serializers.IntegerField(),
        "state": serializers.ChoiceField(choices=STATUS_CODES),
        "state_text": serializers.CharField(
            help_text="The state in words, in the caller's language (Accept-Language)."
        ),
        "platform_access": serializers.URLField(
            allow_null=True, help_text="Where the student signs in, once their account exists."
        ),
        "steps": OnboardingStepSerializer(many=True),
    },
)


class StudentOnboarding(APIView):
    """Where a student's onboarding stands.

    `state` in one word and `state_text` in words (the caller's language): `esperando_revision`
    while the welcome email waits in the review queue; then each step."""

    queryset = Student.objects.none()

    @extend_schema(responses=StudentOnboardingOutput)
    def get(self, request, pk):
        student = generics.get_object_or_404(Student.objects.all(), pk=pk)
        steps = sorted(
            student.onboarding_steps.all(), key=lambda s: OnboardingStep.ORDER.index(s.name)
        )
        state = onboarding_status(student, steps)
        return Response(
            {
                "student_id": student.pk,
                "state": state.code,
                "state_text": state.text,
                "platform_access": platform_access(student, steps),
                "steps": OnboardingStepSerializer(steps, many=True).data,
            }
        )


urlpatterns = [
    re_path(r"^estudiantes/onboarding/?$", RegistrationView.as_view(), name="student-register"),
    path("students/", StudentList.as_view(), name="student-list"),
    path("students/<int:pk>/", StudentDetail.as_view(), name="student-detail"),
    path("students/<int:pk>/onboarding/", StudentOnboarding.as_view(), name="student-onboarding"),
]
