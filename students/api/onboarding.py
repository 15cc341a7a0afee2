"""Registration API (the reference document's Spanish endpoint) and the English resource
API integrations read students and their onboarding from. Views are thin: the service
validates, dedupes and records."""

from django.urls import path, re_path, reverse
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, generics, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import DjangoModelPermissions, IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from students.intake.services import register_student
from students.models import IntakeRecord, OnboardingStep, Student

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
IDEMPOTENCY_HEADER = "Idempotency-Key"


class StudentPermissions(DjangoModelPermissions):
    """Staff with the model permission: view_student to read, add_student to register."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


class RegistrationInput(serializers.Serializer):
    """Documentation of the body; validation is the intake service's, shared by every door."""

    email = serializers.EmailField()
    nombre = serializers.CharField()
    plan = serializers.CharField(help_text="basico, premium, vip ...")
    intereses = serializers.ListField(child=serializers.CharField(), required=False)
    telefono = serializers.CharField(required=False, help_text="+52 55 1234 5678")
    pais = serializers.CharField(required=False, help_text="ISO 3166-1 alfa-2: MX, ES, AR")
    zona_horaria = serializers.CharField(required=False, help_text="America/Mexico_City")
    idioma = serializers.ChoiceField(choices=["es", "en", "pt"], required=False)
    consentimiento = serializers.BooleanField(required=False)
    consentimiento_sms = serializers.BooleanField(
        required=False,
        help_text="Sí a recordatorios por SMS; la persona vio el texto de "
        "students.intake.validation.SMS_CONSENT_TEXT. Sin teléfono no se guarda.",
    )
    utm_source = serializers.CharField(required=False)
    utm_medium = serializers.CharField(required=False)
    utm_campaign = serializers.CharField(required=False)
    utm_term = serializers.CharField(required=False)
    utm_content = serializers.CharField(required=False)


RegistrationOutput = inline_serializer(
    "RegistrationCreated",
    {
        "estudiante_id": serializers.CharField(),
        "estado": serializers.CharField(
            help_text="pendiente, en_curso, completado, error, pendiente_de_pago"
        ),
        "acceso_plataforma": serializers.URLField(allow_null=True),
        "url_estado": serializers.URLField(),
    },
)
RegistrationErrors = inline_serializer(
    "RegistrationErrors",
    {
        "detail": serializers.CharField(),
        "errores": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField())
        ),
    },
)


def onboarding_state(student, steps=None) -> str:
    """The pipeline as one word for integrations: pendiente, en_curso, completado, error,
    or pendiente_de_pago (a paid plan waiting for its payment: no onboarding yet)."""
    if student.status == Student.Status.PENDING_PAYMENT:
        return "pendiente_de_pago"
    if student.status != Student.Status.ONBOARDING:
        return "completado"
    statuses = {s.status for s in (steps if steps is not None else student.onboarding_steps.all())}
    if OnboardingStep.Status.FAILED in statuses:
        return "error"
    if statuses <= {OnboardingStep.Status.PENDING}:
        return "pendiente"
    return "en_curso"


def platform_access(student, steps):
    """Where the student signs in, once their account step has run: the sign-in page, not
    the personal link the welcome email carries (that one is a credential)."""
    account = next((s for s in steps if s.name == OnboardingStep.Name.ACCOUNT), None)
    if account is None or account.status != OnboardingStep.Status.DONE:
        return None
    from students.onboarding.lms import sign_in_page

    return sign_in_page()


class RegistrationView(APIView):
    """`POST /api/v1/estudiantes/onboarding`: register one student and start onboarding."""

    permission_classes = [IsAdminUser, StudentPermissions]
    queryset = Student.objects.none()
    throttle_scope = "registration"

    @extend_schema(
        request=RegistrationInput,
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Repeat it on a retry: the first answer is replayed.",
            )
        ],
        responses={201: RegistrationOutput, 400: RegistrationErrors, 409: RegistrationErrors},
    )
    def post(self, request):
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError({"detail": "El cuerpo debe ser un objeto JSON."})
        data = {SPANISH_KEYS.get(key, key): value for key, value in request.data.items()}
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if len(key) > 200:
            raise exceptions.ValidationError(
                {"detail": f"{IDEMPOTENCY_HEADER}: máx. 200 caracteres."}
            )
        result = register_student(
            data=data,
            source=Student.Source.API,
            external_id=key,
            request_ip=request.META.get("REMOTE_ADDR"),
        )
        response = self.answer(request, result.record)
        if result.replayed:
            response["Idempotent-Replayed"] = "true"
        return response

    def answer(self, request, record):
        """The answer for a record, the same every time it is asked (idempotent replays)."""
        if record.status == IntakeRecord.Status.INVALID:
            return Response(
                {"detail": "Datos inválidos.", "errores": record.errors},
                status=status.HTTP_400_BAD_REQUEST,
            )
        student = record.student
        if student is None:  # the student was deleted since: the registration stands
            return Response(
                {"detail": "El estudiante de este registro ya no existe."},
                status=status.HTTP_409_CONFLICT,
            )
        steps = list(student.onboarding_steps.all())
        body = {
            "estudiante_id": str(student.pk),
            "estado": onboarding_state(student, steps),
            "acceso_plataforma": platform_access(student, steps),
            "url_estado": request.build_absolute_uri(
                reverse("v1:student-onboarding", kwargs={"pk": student.pk})
            ),
        }
        if record.status == IntakeRecord.Status.DUPLICATE:
            body["detail"] = "El email ya está registrado."
            return Response(body, status=status.HTTP_409_CONFLICT)
        return Response(body, status=status.HTTP_201_CREATED)


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
    raw = request.query_params.get(name)
    if not raw:
        return None
    value = parse_datetime(raw) or parse_date(raw)
    if value is None:
        raise exceptions.ValidationError({name: "Use an ISO 8601 date or datetime."})
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
    """Students, newest first, cursor-paginated; filters by plan, status, source, date."""

    serializer_class = StudentSerializer
    pagination_class = NewestFirst
    permission_classes = [IsAdminUser, StudentPermissions]

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
    serializer_class = StudentSerializer
    permission_classes = [IsAdminUser, StudentPermissions]
    queryset = Student.objects.select_related("plan")


StudentOnboardingOutput = inline_serializer(
    "StudentOnboarding",
    {
        "student_id": serializers.IntegerField(),
        "state": serializers.CharField(help_text="pendiente, en_curso, completado, error"),
        "steps": OnboardingStepSerializer(many=True),
    },
)


class StudentOnboarding(APIView):
    """Where a student's onboarding pipeline is, step by step."""

    permission_classes = [IsAdminUser, StudentPermissions]
    queryset = Student.objects.none()

    @extend_schema(responses=StudentOnboardingOutput)
    def get(self, request, pk):
        student = generics.get_object_or_404(Student.objects.all(), pk=pk)
        steps = sorted(
            student.onboarding_steps.all(), key=lambda s: OnboardingStep.ORDER.index(s.name)
        )
        return Response(
            {
                "student_id": student.pk,
                "state": onboarding_state(student, steps),
                "steps": OnboardingStepSerializer(steps, many=True).data,
            }
        )


urlpatterns = [
    re_path(r"^estudiantes/onboarding/?$", RegistrationView.as_view(), name="student-register"),
    path("students/", StudentList.as_view(), name="student-list"),
    path("students/<int:pk>/", StudentDetail.as_view(), name="student-detail"),
    path("students/<int:pk>/onboarding/", StudentOnboarding.as_view(), name="student-onboarding"),
]
