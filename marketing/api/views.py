"""Leads API: create (every form tool or landing page), list and read. Thin views: the
intake service validates, dedupes and records consent."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from marketing.funnel.events import EventError, report_event
from marketing.funnel.models import ExternalEvent
from marketing.models import Campaign, Consent, Lead, LeadForm, Stage
from marketing.reports import campaign_results
from marketing.services.consent import valid_consent
from marketing.services.leads import capture_lead
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
    """Documentation of the body (Spanish or English keys); the service validates."""

    email = serializers.EmailField()
    nombre = serializers.CharField(required=False)
    telefono = serializers.CharField(required=False, help_text="+52 55 1234 5678")
    pais = serializers.CharField(required=False, help_text="MX, ES, AR")
    zona_horaria = serializers.CharField(required=False, help_text="America/Mexico_City")
    idioma = serializers.ChoiceField(choices=["es", "en", "pt"], required=False)
    intereses = serializers.ListField(child=serializers.CharField(), required=False)
    etiquetas = serializers.ListField(child=serializers.CharField(), required=False)
    formulario = serializers.SlugField(
        required=False, help_text="Formulario de captación: su texto y su doble confirmación."
    )
    consentimiento = serializers.BooleanField(required=False, help_text="Newsletter por correo")
    texto_consentimiento = serializers.CharField(required=False)
    consentimiento_sms = serializers.BooleanField(required=False)
    texto_consentimiento_sms = serializers.CharField(required=False)
    utm_source = serializers.CharField(required=False)
    utm_medium = serializers.CharField(required=False)
    utm_campaign = serializers.CharField(required=False)
    utm_term = serializers.CharField(required=False)
    utm_content = serializers.CharField(required=False)


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


LeadErrors = inline_serializer(
    "LeadErrors",
    {
        "detail": serializers.CharField(),
        "errores": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField())
        ),
    },
)


def _leads():
    return Lead.objects.prefetch_related("tags", "interests", "consents")


@extend_schema(
    parameters=[
        OpenApiParameter("stage", OpenApiTypes.STR, enum=Stage.values),
        OpenApiParameter("source", OpenApiTypes.STR, description="Primer origen"),
        OpenApiParameter("consent", OpenApiTypes.STR, enum=["newsletter_email", "marketing_sms"]),
    ]
)
class LeadList(generics.ListAPIView):
    """`GET /api/v1/leads/` (newest first) and `POST` to add or update one contact."""

    serializer_class = LeadSerializer
    pagination_class = NewestFirst

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
        request=LeadInput,
        responses={201: LeadSerializer, 200: LeadSerializer, 400: LeadErrors},
    )
    def post(self, request):
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError({"detail": _("El cuerpo debe ser un objeto JSON.")})
        data = {LEAD_KEYS.get(key, key): value for key, value in request.data.items()}
        form = None
        if data.get("form"):
            form = LeadForm.objects.filter(slug=str(data["form"]), active=True).first()
            if form is None:
                return _errors({"form": [_("Formulario de captación desconocido o inactivo.")]})
        result = capture_lead(
            data=data,
            source="api",
            form=form,
            ip=request.META.get("REMOTE_ADDR"),
            user=request.user,
        )
        if result.errors:
            return _errors(result.errors)
        lead = _leads().get(pk=result.lead.pk)
        body = LeadSerializer(lead, context={"created": result.created}).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else 200)


def _errors(errors):
    return Response(
        {"detail": _("Datos inválidos."), "errores": errors}, status=status.HTTP_400_BAD_REQUEST
    )


class LeadDetail(generics.RetrieveAPIView):
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
    """`GET /api/v1/campaigns/<id>/stats/`: results per variant (unique human clicks,
    never opens)."""

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
        help_text="Único por integración: repetirlo no cuenta dos veces."
    )
    type = serializers.ChoiceField(choices=ExternalEvent.Type.values)
    email = serializers.EmailField()
    occurred_at = serializers.DateTimeField(required=False)
    name = serializers.CharField(required=False)
    utm_source = serializers.CharField(required=False)
    utm_medium = serializers.CharField(required=False)
    utm_campaign = serializers.CharField(required=False)


class EventOutput(serializers.ModelSerializer):
    class Meta:
        model = ExternalEvent
        fields = ["id", "event_id", "type", "lead", "occurred_at", "received_at"]


class MarketingEventView(APIView):
    """`POST /api/v1/marketing/events/`: a conversion an external site saw (a contact, a
    checkout started, a webinar registration). 201 the first time, 200 with the same
    body for a repeated `event_id`, 400 `{errores}` for bad input."""

    queryset = ExternalEvent.objects.all()

    @extend_schema(
        request=EventInput, responses={201: EventOutput, 200: EventOutput, 400: LeadErrors}
    )
    def post(self, request):
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError({"detail": "El cuerpo debe ser un objeto JSON."})
        data = {LEAD_KEYS.get(key, key): value for key, value in request.data.items()}
        try:
            event, created = report_event(data=data, user=request.user)
        except EventError as exc:
            return _errors(exc.errors)
        return Response(EventOutput(event).data, status=201 if created else 200)
