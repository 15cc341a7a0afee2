"""Outbound webhooks over the API, with REST Hooks semantics (what Zapier's and n8n's
"instant triggers" call): subscribe returns an id and the signing secret (shown once),
unsubscribe is a DELETE of that id, and the catalogue lists every event with its schema
and an example (the sample data those tools show while a zap is built)."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from courseops.core.api import invalid, strict_input
from courseops.core.idempotency import IdempotentPost
from courseops.outbound.catalogue import event_types
from courseops.outbound.models import Endpoint
from courseops.outbound.services import endpoints


class Newest(CursorPagination):
    ordering = ("-created_at", "-id")


class SubscriptionOutput(serializers.ModelSerializer):
    """An endpoint as the API shows it: never its secret."""

    target_url = serializers.CharField(source="url")

    class Meta:
        model = Endpoint
        fields = ["id", "target_url", "events", "description", "is_active", "created_at"]


class SubscriptionCreated(SubscriptionOutput):
    secret = serializers.CharField(help_text="whsec_...: shown once, in this answer only.")

    class Meta(SubscriptionOutput.Meta):
        fields = [*SubscriptionOutput.Meta.fields, "secret"]


class SubscribeInput(serializers.Serializer):
    """`target_url` and either `event` (one, as REST Hooks clients send) or `events`."""

    target_url = serializers.CharField(max_length=500, help_text="https://hooks.zapier.com/...")
    event = serializers.CharField(max_length=60, required=False, help_text="student.registered")
    events = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, max_length=50
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


# Names other REST Hooks clients use for the target URL.
SUBSCRIBE_ALIASES = {"url": "target_url", "hookUrl": "target_url", "hook_url": "target_url"}


class SubscriptionList(IdempotentPost, generics.ListAPIView):
    """`GET` lists the subscriptions; `POST` subscribes a URL (201 with `id` and `secret`)."""

    serializer_class = SubscriptionOutput
    pagination_class = Newest
    queryset = Endpoint.objects.all()

    @extend_schema(summary="List webhook subscriptions")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Subscribe (REST Hooks)",
        request=SubscribeInput,
        responses={201: SubscriptionCreated},
    )
    def post(self, request):
        body = strict_input(request, SubscribeInput, aliases=SUBSCRIBE_ALIASES).values
        events = body.get("events") or ([body["event"]] if body.get("event") else [])
        if not body.get("target_url"):
            raise invalid({"target_url": "Falta target_url."})
        try:
            endpoint, secret = endpoints.endpoint_create(
                url=body["target_url"],
                events=events,
                description=body.get("description", ""),
                origin=Endpoint.Origin.API,
                user=request.user,
            )
        except ValidationError as exc:
            errors = exc.message_dict
            raise invalid(
                {"target_url" if key == "url" else key: value for key, value in errors.items()}
            ) from exc
        endpoint.secret = secret
        return Response(SubscriptionCreated(endpoint).data, status=status.HTTP_201_CREATED)


class SubscriptionDetail(generics.RetrieveDestroyAPIView):
    """`GET` one subscription; `DELETE` unsubscribes it (204; REST Hooks unsubscribe)."""

    serializer_class = SubscriptionOutput
    queryset = Endpoint.objects.all()

    @extend_schema(summary="Unsubscribe (REST Hooks)")
    def delete(self, request, *args, **kwargs):
        return super().delete(request, *args, **kwargs)

    def perform_destroy(self, instance):
        endpoints.endpoint_delete(endpoint=instance, user=self.request.user)


class SubscriptionRotateSecret(IdempotentPost, APIView):
    """A new signing secret (shown once); the old one keeps signing for 24 hours."""

    required_permissions = {"POST": ["outbound.change_endpoint"]}

    @extend_schema(
        summary="Rotate a subscription's secret",
        request=None,
        responses={200: inline_serializer("RotatedSecret", {"secret": serializers.CharField()})},
    )
    def post(self, request, pk):
        endpoint = get_object_or_404(Endpoint, pk=pk)
        secret = endpoints.endpoint_rotate_secret(endpoint=endpoint, user=request.user)
        return Response({"secret": secret})


class EventCatalogue(APIView):
    """Every event a subscription may ask for: its name, what it means, the JSON Schema of
    its `data` and an example."""

    required_permissions = {"GET": ["outbound.view_endpoint"]}

    @extend_schema(
        summary="Webhook event catalogue",
        responses=inline_serializer(
            "WebhookEventType",
            {
                "type": serializers.CharField(),
                "label": serializers.CharField(),
                "description": serializers.CharField(),
                "schema": serializers.DictField(),
                "example": serializers.DictField(),
            },
            many=True,
        ),
    )
    def get(self, request):
        return Response(
            [
                {
                    "type": name,
                    "label": str(event.label),
                    "description": str(event.description),
                    "schema": event.schema,
                    "example": event.example,
                }
                for name, event in event_types().items()
            ]
        )
