"""Ad audiences: only consenting contacts' SHA-256 hashes, sent as deltas to Meta's
custom audience API (faked at the HTTP boundary), withdrawn ones removed, a log."""

import hashlib
import json
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from marketing.audiences.models import AdAudience, AudienceMember, AudienceSync
from marketing.audiences.services import normalised_phone, sync_audience
from marketing.models import Consent, Lead, Purpose, Segment
from marketing.services.consent import request_consent, withdraw_consent

pytestmark = pytest.mark.django_db
GRAPH = "https://graph.facebook.com/v26.0"


def h(value):
    return hashlib.sha256(value.encode()).hexdigest()


@pytest.fixture
def meta(settings):
    settings.MARKETING_META_AD_ACCOUNT_ID = "555"
    settings.MARKETING_META_ACCESS_TOKEN = "meta-token"


def contact(email, *, consent=True, phone="", country="MX"):
    lead = Lead.objects.create(
        email=email, phone=phone, country=country, first_source="api", last_source="api"
    )
    if consent:
        request_consent(
            lead=lead, purpose=Purpose.NEWSLETTER, source="test", text="sí", double_opt_in=False
        )
    return lead


@pytest.fixture
def audience(db):
    segment = Segment.objects.create(
        name="México", rules={"conditions": [{"field": "country", "op": "is", "value": "MX"}]}
    )
    return AdAudience.objects.create(name="Retargeting MX", segment=segment, provider="meta")


def sent(call):
    form = parse_qs(call.request.content.decode())
    return call.request.method, json.loads(form["payload"][0]), form["access_token"][0]


def test_only_consenting_contacts_of_the_segment_are_sent_hashed_then_only_deltas(meta, audience):
    ana = contact(" Ana@Example.com", phone="+52 1 55 1234 5678")
    contact("sin@example.com", consent=False)
    contact("es@example.com", country="ES")
    with respx.mock() as router:
        create = router.post(f"{GRAPH}/act_555/customaudiences").mock(
            return_value=httpx.Response(200, json={"id": "aud_1"})
        )
        users = router.route(url=f"{GRAPH}/aud_1/users").mock(
            return_value=httpx.Response(200, json={"num_received": 1})
        )
        first = sync_audience(audience=audience)
        second = sync_audience(audience=audience)  # nothing changed: nothing sent

    assert create.call_count == 1
    assert users.call_count == 1
    method, payload, token = sent(users.calls[0])
    assert (method, token) == ("POST", "meta-token")
    assert payload == {
        "schema": ["EMAIL", "PHONE"],
        "data": [[h("ana@example.com"), h("5215512345678")]],
    }
    assert "ana@example.com" not in users.calls[0].request.content.decode()
    assert (first.status, first.added, first.removed) == ("ok", 1, 0)
    assert (second.added, second.removed) == (0, 0)
    audience.refresh_from_db()
    assert audience.external_id == "aud_1"
    assert AudienceMember.objects.get().lead == ana


def test_a_withdrawn_consent_is_removed_at_the_next_sync(meta, audience):
    ana = contact("ana@example.com")
    contact("bea@example.com")
    audience.external_id = "aud_1"
    audience.save()
    with respx.mock() as router:
        users = router.route(url=f"{GRAPH}/aud_1/users").mock(
            return_value=httpx.Response(200, json={})
        )
        sync_audience(audience=audience)
        withdraw_consent(lead=ana, purpose=Purpose.NEWSLETTER, source="preference page")
        log = sync_audience(audience=audience)

    method, payload, _token = sent(users.calls[-1])
    assert method == "DELETE"
    assert payload["data"] == [[h("ana@example.com"), ""]]
    assert (log.added, log.removed) == (0, 1)
    assert list(AudienceMember.objects.values_list("lead__email", flat=True)) == ["bea@example.com"]
    assert Consent.objects.get(lead=ana).status == "withdrawn"


def test_a_failed_sync_is_logged_and_the_same_delta_is_sent_again(meta, audience):
    contact("ana@example.com")
    audience.external_id = "aud_1"
    audience.save()
    with respx.mock() as router:
        users = router.route(url=f"{GRAPH}/aud_1/users").mock(
            side_effect=[
                httpx.Response(400, json={"error": {"message": "Invalid", "code": 100}}),
                httpx.Response(200, json={}),
            ]
        )
        failed = sync_audience(audience=audience)
        assert not AudienceMember.objects.exists()
        retried = sync_audience(audience=audience)

    assert (failed.status, failed.added) == ("failed", 0)
    assert "Meta 400" in failed.error
    assert (retried.status, retried.added) == ("ok", 1)
    assert sent(users.calls[0])[1] == sent(users.calls[1])[1]
    assert AudienceSync.objects.count() == 2


def test_the_console_provider_sends_nothing_and_keeps_members(audience):
    audience.provider = "console"
    audience.save()
    contact("ana@example.com")

    with respx.mock() as router:  # any HTTP request would fail the test
        log = sync_audience(audience=audience)

    assert not router.calls
    assert (log.status, log.added) == ("ok", 1)


def test_phones_are_normalised_to_digits_with_the_country_code():
    assert normalised_phone("+34 600-111-222") == "34600111222"
    assert normalised_phone("0052 55 1234 5678") == "525512345678"


def _synced_everywhere(router, audiences):
    for n, audience in enumerate(audiences, start=1):
        audience.external_id = f"aud_{n}"
        audience.save()
        router.post(f"{GRAPH}/aud_{n}/users").mock(return_value=httpx.Response(200, json={}))
        sync_audience(audience=audience)


@pytest.fixture
def two_audiences(audience):
    other = AdAudience.objects.create(name="Todos MX", segment=audience.segment, provider="meta")
    return audience, other


def test_erasing_a_person_asks_every_audience_to_forget_them_before_anonymising(
    meta, two_audiences
):
    from courseops.operations.privacy.services import erase_person

    ana = contact("ana@example.com", phone="+52 55 1234 5678")
    contact("bea@example.com")
    seen_at_removal = []

    def removal(request):
        seen_at_removal.append(Lead.objects.filter(pk=ana.pk, email="ana@example.com").exists())
        return httpx.Response(200, json={"num_received": 1})

    with respx.mock() as router:
        _synced_everywhere(router, two_audiences)
        deletes = [
            router.delete(f"{GRAPH}/aud_{n}/users").mock(side_effect=removal) for n in (1, 2)
        ]
        erasure = erase_person("Ana@Example.com")

    for route in deletes:
        assert route.call_count == 1
        method, payload, token = sent(route.calls[0])
        assert (method, token) == ("DELETE", "meta-token")
        assert payload == {
            "schema": ["EMAIL", "PHONE"],
            "data": [[h("ana@example.com"), h("525512345678")]],
        }
    assert seen_at_removal == [True, True]  # asked while the lead was still theirs
    assert sorted(AudienceMember.objects.values_list("lead__email", flat=True)) == [
        "bea@example.com",
        "bea@example.com",
    ]
    logs = AudienceSync.objects.filter(reason=AudienceSync.Reason.ERASURE)
    assert sorted(logs.values_list("audience__external_id", "status", "added", "removed")) == [
        ("aud_1", "ok", 0, 1),
        ("aud_2", "ok", 0, 1),
    ]
    # The log and the erasure's proof say who was removed nowhere.
    logged = json.dumps(list(logs.values()), default=str) + json.dumps(erasure.external)
    assert "ana@" not in logged
    assert h("ana@example.com") not in logged
    assert erasure.external["ad_audiences"] == "quitado de 2 público(s)"
    ana.refresh_from_db()
    assert ana.email.startswith("borrado-lead-")


def test_a_platform_failing_at_erasure_is_logged_and_the_next_sync_removes_them(meta, audience):
    from courseops.operations.privacy.services import erase_person

    contact("ana@example.com")
    with respx.mock() as router:
        _synced_everywhere(router, [audience])
        delete = router.delete(f"{GRAPH}/aud_1/users").mock(
            side_effect=[
                httpx.Response(500, json={"error": {"message": "down"}}),
                httpx.Response(200, json={}),
            ]
        )
        erasure = erase_person("ana@example.com")
        failed = AudienceSync.objects.get(reason=AudienceSync.Reason.ERASURE)
        assert AudienceMember.objects.count() == 1  # kept: still on the platform
        retried = sync_audience(audience=audience)

    assert (failed.status, failed.removed) == ("failed", 0)
    assert "Meta 500" in failed.error
    assert "error en 1" in erasure.external["ad_audiences"]
    assert sent(delete.calls[1])[1]["data"] == [[h("ana@example.com"), ""]]
    assert (retried.reason, retried.removed) == ("sync", 1)
    assert not AudienceMember.objects.exists()


def test_erasure_with_the_console_provider_calls_nobody_and_drops_the_members(audience):
    from courseops.operations.privacy.services import erase_person

    audience.provider = "console"
    audience.save()
    contact("ana@example.com")
    sync_audience(audience=audience)

    with respx.mock() as router:  # any HTTP request would fail the test
        erasure = erase_person("ana@example.com")

    assert not router.calls
    assert not AudienceMember.objects.exists()
    assert AudienceSync.objects.get(reason="erasure").removed == 1
    assert erasure.external == {"ad_audiences": "quitado de 1 público(s)"}


def test_erasing_someone_in_no_audience_asks_no_platform(meta, audience):
    from courseops.operations.privacy.services import erase_person

    contact("ana@example.com", consent=False)
    with respx.mock() as router:
        erasure = erase_person("ana@example.com")
    assert not router.calls
    assert "ad_audiences" not in erasure.external
    assert not AudienceSync.objects.exists()
