from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from webinars.models import Registration, Webinar


class WebinarSerializer(serializers.ModelSerializer):
    registrations = serializers.IntegerField(source="active_registrations", read_only=True)
    plans = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = Webinar
        fields = [
            "id",
            "title",
            "description",
            "starts_at",
            "time_zone",
            "duration_minutes",
            "capacity",
            "is_public",
            "plans",
            "language",
            "status",
            "meeting_provider",
            "meeting_url",
            "ics_sequence",
            "registrations",
        ]


class WebinarRegistrationInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    time_zone = serializers.CharField(max_length=64, required=False, allow_blank=True)
    language = serializers.ChoiceField(
        choices=Registration._meta.get_field("language").choices, required=False
    )
    sms_consent = serializers.BooleanField(required=False, default=False)
    consent_text = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs.get("sms_consent") and not attrs.get("consent_text"):
            raise serializers.ValidationError(
                {"consent_text": _("Indique el texto que la persona aceptó.")}
            )
        return attrs


class RegistrationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Registration
        fields = [
            "id",
            "webinar",
            "email",
            "name",
            "time_zone",
            "language",
            "source",
            "sms_consent",
            "created_at",
            "cancelled_at",
        ]
