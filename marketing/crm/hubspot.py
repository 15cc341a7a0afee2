"""HubSpot through its official SDK (hubspot-api-client 12). Every write is an upsert by a
unique key, so repeating one is harmless:

- contacts: `POST /crm/v3/objects/contacts/batch/upsert` with `idProperty=email`;
- deals: the same on deals with `idProperty` = our unique deal property
  (`HUBSPOT_DEAL_ID_PROPERTY`, holding the Stripe subscription id);
- the deal's contact: `PUT /crm/v4/objects/deals/<id>/associations/default/contacts/<id>`;
- erasure: `POST /crm/v3/objects/contacts/gdpr-delete` (by email, or by HubSpot's id).

Errors become `HubSpotError(permanent=...)`: 429, 5xx and connection failures are worth
another try; any other 4xx is not."""

import urllib3
from django.conf import settings
from django.utils.translation import gettext as _
from hubspot import HubSpot
from hubspot.crm import contacts, deals
from hubspot.crm.associations import v4 as associations_v4

API_ERRORS = (
    contacts.ApiException,
    deals.ApiException,
    associations_v4.ApiException,
)


class HubSpotError(Exception):
    def __init__(self, message, *, permanent):
        super().__init__(message)
        self.permanent = permanent


def configured():
    return bool(settings.HUBSPOT_ACCESS_TOKEN)


def _client():
    # The SDK's own urllib3 retries are off: the sync row owns the retry policy.
    return HubSpot(
        access_token=settings.HUBSPOT_ACCESS_TOKEN,
        host=settings.HUBSPOT_API_BASE,
        retry=urllib3.Retry(total=0, raise_on_status=False),
    )


def _call(method, **kwargs):
    try:
        return method(**kwargs, _request_timeout=settings.HUBSPOT_TIMEOUT_SECONDS)
    except API_ERRORS as exc:
        status = exc.status or 0
        body = (exc.body or b"")[:300]
        body = body.decode(errors="replace") if isinstance(body, bytes) else str(body)
        permanent = 400 <= status < 500 and status not in (408, 429)
        raise HubSpotError(
            _("HubSpot respondió %(status)s: %(body)s")
            % {"status": status or exc.reason, "body": body},
            permanent=permanent,
        ) from exc
    except urllib3.exceptions.HTTPError as exc:
        raise HubSpotError(f"HubSpot: {type(exc).__name__}: {exc}", permanent=False) from exc


def _one_result(answer):
    errors = getattr(answer, "errors", None)
    if errors:
        raise HubSpotError(
            _("HubSpot rechazó el registro: %(error)s") % {"error": errors[0].message},
            permanent=True,
        )
    return answer.results[0].id


def upsert_contact(*, email, properties):
    """The contact's HubSpot id, created or updated by email."""
    batch = contacts.BatchInputSimplePublicObjectBatchInputUpsert(
        inputs=[
            contacts.SimplePublicObjectBatchInputUpsert(
                id=email, id_property="email", properties=properties
            )
        ]
    )
    answer = _call(
        _client().crm.contacts.batch_api.upsert,
        batch_input_simple_public_object_batch_input_upsert=batch,
    )
    return _one_result(answer)


def upsert_deal(*, key, properties):
    """The deal's HubSpot id, created or updated by our unique deal property."""
    batch = deals.BatchInputSimplePublicObjectBatchInputUpsert(
        inputs=[
            deals.SimplePublicObjectBatchInputUpsert(
                id=key,
                id_property=settings.HUBSPOT_DEAL_ID_PROPERTY,
                properties={**properties, settings.HUBSPOT_DEAL_ID_PROPERTY: key},
            )
        ]
    )
    answer = _call(
        _client().crm.deals.batch_api.upsert,
        batch_input_simple_public_object_batch_input_upsert=batch,
    )
    return _one_result(answer)


def associate_deal_with_contact(*, deal_id, contact_id):
    _call(
        _client().crm.associations.v4.basic_api.create_default,
        from_object_type="deals",
        from_object_id=deal_id,
        to_object_type="contacts",
        to_object_id=contact_id,
    )


def forget_contact(*, email="", contact_id=""):
    """GDPR delete: by email (HubSpot also blocks the address if it has no such contact)
    or by HubSpot's contact id."""
    if email:
        gdpr = contacts.PublicGdprDeleteInput(object_id=email, id_property="email")
    else:
        gdpr = contacts.PublicGdprDeleteInput(object_id=contact_id)
    _call(_client().crm.contacts.basic_api.purge, public_gdpr_delete_input=gdpr)
