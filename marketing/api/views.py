"""Leads API: create (every form tool or landing page), list and read. Thin views: the
intake service validates, dedupes and records consent."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from courseops.core.api import invalid, strict_input
from courseops.core.idempotency import IdempotentPost
from marketing.funnel.events import EventError, report_event
from marketing.funnel.models import ExternalEvent
from marketing.models import Campaign, Consent, Lead, LeadForm, Stage
from marketing.services.consent import valid_consent
from marketing.services.leads import capture_lead
from marketing.services.reports import campaign_results
from students.api.onboarding import SPANISH_KEYS, NewestFirst

LEAD_KEYS = {
    **SPANISH_KEYS,
    "nombre": "name",
    "etiquetas": "tags",
    "consentimiento_sms": "sms_consent",
    "texto_consentimiento": "consent_text",
    "texto_consentimiento_sms": "sms_consent_text",
    "formulario": "form",
}


class LeadInput(serializers.Serializer):
    """The body, with each field's JSON type (checked strictly: a list where a string
    belongs is a 400); the service judges the values. English keys work too: name
    (or full_name), phone, country, time_zone, language, interests, tags, form, consent,
    consent_text, sms_consent, sms_consent_text; `correo` for email."""

    email = serializers.CharField(help_text="ana@example.com")
    nombre = serializers.CharField(max_length=200, required=False, allow_blank=True)
    telefono = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text="+52 55 1234 5678"
    )
    pais = serializers.CharField(
        max_length=60, required=False, allow_blank=True, help_text="MX, ES, AR"
    )
    zona_horaria = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="America/Mexico_City"
    )
    idioma = serializers.CharField(
        max_length=30, required=False, allow_blank=True, help_text="es, en o pt"
    )
    intereses = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=50
    )
    etiquetas = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=50
    )
    formulario = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Formulario de captación: su texto y su doble confirmación.",
    )
    consentimiento = serializers.BooleanField(required=False, help_text="Newsletter por correo")
    texto_consentimiento = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    consentimiento_sms = serializers.BooleanField(required=False)
    texto_consentimiento_sms = serializers.CharField(
        max_length=2000, required=False, allow_blank=True
    )
    utm_source = serializers.CharField(max_length=100, required=False, allow_blank=True)
    utm_medium = serializers.CharField(max_length=100, required=False, allow_blank=True)
    utm_campaign = serializers.CharField(max_length=100, required=False, allow_blank=True)
    utm_term = serializers.CharField(max_length=100, required=False, allow_blank=True)
    utm_content = serializers.CharField(max_length=100, required=False, allow_blank=True)
    referrer = serializers.CharField(max_length=300, required=False, allow_blank=True)


# Other keys a lead may come with (the service's English names, accents, `correo`).
LEAD_ALIASES = {
    "correo": "email",
    "full_name": "nombre",
    **{service: spanish for spanish, service in LEAD_KEYS.items() if spanish.isascii()},
    **{spanish: plain for spanish, plain in (("teléfono", "telefono"), ("país", "pais"))},
}
# The service's field names -> the input's (to name the service's errors).
LEAD_FIELD_FOR_SERVICE_KEY = {
    service: spanish for spanish, service in LEAD_KEYS.items() if spanish.isascii()
}


class ConsentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Consent
        fields = ["purpose", "status", "source", "requested_at", "granted_at", "withdrawn_at"]


class LeadSerializer(serializers.ModelSerializer):
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    interests = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    consents = ConsentSerializer(many=True, read_only=True)
    score = serializers.FloatField(read_only=True)
    created = serializers.SerializerMethodField()

    class Meta:
        model = Lead
        fields = [
            "id",
            "email",
            "name",
            "phone",
            "country",
            "time_zone",
            "language",
            "stage",
            "score",
            "student",
            "tags",
            "interests",
            "first_source",
            "first_utm",
            "last_source",
            "last_utm",
            "consents",
            "created_at",
            "created",
        ]

    def get_created(self, lead) -> bool | None:
        return self.context.get("created")


def _leads():
    return Lead.objects.prefetch_related("tags", "interests", "consents")


@extend_schema(
    parameters=[
        OpenApiParameter("stage", OpenApiTypes.STR, enum=Stage.values),
        OpenApiParameter("source", OpenApiTypes.STR, description="Primer origen"),
        OpenApiParameter("consent", OpenApiTypes.STR, enum=["newsletter_email", "marketing_sms"]),
    ]
)
class LeadList(IdempotentPost, generics.ListAPIView):
    """Marketing contacts.

    `GET` lists them, newest first; `POST` adds one or updates the contact with that
    email (201 created, 200 updated)."""

    serializer_class = LeadSerializer
    pagination_class = NewestFirst

    @extend_schema(summary="List contacts")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        queryset = _leads()
        params = self.request.query_params
        stage = params.get("stage")
        if stage:
            if stage not in Stage.values:
                raise exceptions.ValidationError({"stage": f"One of: {', '.join(Stage.values)}."})
            queryset = queryset.filter(stage=stage)
        if params.get("source"):
            queryset = queryset.filter(first_source=params["source"])
        purpose = params.get("consent")
        if purpose:
            if purpose not in ("newsletter_email", "marketing_sms"):
                raise exceptions.ValidationError({"consent": "newsletter_email or marketing_sms."})
            queryset = queryset.filter(valid_consent(purpose))
        return queryset

    @extend_schema(
        summary="Add or update a contact",
        request=LeadInput,
        responses={201: LeadSerializer, 200: LeadSerializer},
    )
    def post(self, request):
        body = strict_input(request, LeadInput, aliases=LEAD_ALIASES)
        data = {LEAD_KEYS.get(key, key): value for key, value in body.values.items()}
        form = None
        if data.get("form"):
            form = LeadForm.objects.filter(slug=str(data["form"]), active=True).first()
            if form is None:
                raise invalid(
                    {"formulario": [_("Formulario de captación desconocido o inactivo.")]}
                )
        result = capture_lead(
            data=data,
            source="api",
            form=form,
            ip=request.META.get("REMOTE_ADDR"),
            user=request.user,
        )
        if result.errors:
            raise invalid(
                {LEAD_FIELD_FOR_SERVICE_KEY.get(k, k): v for k, v in result.errors.items()}
            )
        lead = _leads().get(pk=result.lead.pk)
        body = LeadSerializer(lead, context={"created": result.created}).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else 200)


class LeadDetail(generics.RetrieveAPIView):
    """Read one contact, with its consents."""

    serializer_class = LeadSerializer
    queryset = _leads()


CampaignStats = inline_serializer(
    "CampaignStats",
    {
        "id": serializers.IntegerField(),
        "name": serializers.CharField(),
        "status": serializers.CharField(),
        "phase": serializers.CharField(),
        "winner": serializers.CharField(allow_null=True),
        "winner_note": serializers.CharField(),
        "variants": serializers.ListField(child=serializers.DictField()),
    },
)


class CampaignStatsView(APIView):
    """A campaign's results per variant (unique human clicks, never opens)."""

    queryset = Campaign.objects.all()

    @extend_schema(responses={200: CampaignStats})
    def get(self, request, pk):
        campaign = Campaign.objects.select_related("winner").filter(pk=pk).first()
        if campaign is None:
            raise exceptions.NotFound()
        return Response(
            {
                "id": campaign.pk,
                "name": campaign.name,
                "status": campaign.status,
                "phase": campaign.phase,
                "winner": campaign.winner.label if campaign.winner else None,
                "winner_note": campaign.winner_note,
                "variants": campaign_results(campaign),
            }
        )


class EventInput(serializers.Serializer):
    """Documentation of the body; the service validates."""

    event_id = serializers.CharField(
        max_length=200, help_text="Único por integración: repetirlo no cuenta dos veces."
    )
    type = serializers.ChoiceField(choices=ExternalEvent.Type.values)
    email = serializers.CharField(help_text="ana@example.com")
    occurred_at = serializers.CharField(
        required=False, help_text="ISO 8601 with its zone: 2026-11-24T10:00:00-06:00"
    )
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    utm_source = serializers.CharField(max_length=100, required=False, allow_blank=True)
    utm_medium = serializers.CharField(max_length=100, required=False, allow_blank=True)
    utm_campaign = serializers.CharField(max_length=100, required=False, allow_blank=True)


class EventOutput(serializers.ModelSerializer):
    class Meta:
        model = ExternalEvent
        fields = ["id", "event_id", "type", "lead", "occurred_at", "received_at"]


class MarketingEventView(IdempotentPost, APIView):
    """Report a conversion an external site saw.

    A contact, a checkout started, a webinar registration. 201 the first time, 200 with
    the same body for a repeated `event_id`."""

    queryset = ExternalEvent.objects.all()

    @extend_schema(request=EventInput, responses={201: EventOutput, 200: EventOutput})
    def post(self, request):
        body = strict_input(request, EventInput, aliases={"nombre": "name", "correo": "email"})
        try:
            event, created = report_event(data=body.values, user=request.user)
        except EventError as exc:
            raise invalid(exc.errors) from exc
        return Response(EventOutput(event).data, status=201 if created else 200)
