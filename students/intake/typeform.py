"""Typeform `form_response` webhooks -> `register_student`, or for a lead form the
`typeform_lead_received` signal (marketing turns it into a contact).

Questions are matched by the `ref` staff set in Typeform (field ids are random), per form,
through a `TypeformForm` row configured in the admin; hidden fields carry the UTM values.
The external id is Typeform's response token (one per submission, the same however often
Typeform redelivers it), falling back to the event id.
"""

from django.utils.translation import gettext as _

from courseops.webhooks.errors import PermanentWebhookError
from courseops.webhooks.registry import webhook_handler
from students.intake.services import register_student
from students.intake.validation import UTM_FIELDS
from students.models import Student, TypeformForm
from students.signals import typeform_lead_received


def answer_value(answer: dict):
    """The value of one answer, whatever its type (Typeform's `type` names the key)."""
    kind = answer.get("type")
    if kind == "choice":
        choice = answer.get("choice") or {}
        return choice.get("label") or choice.get("other") or ""
    if kind == "choices":
        choices = answer.get("choices") or {}
        labels = list(choices.get("labels") or [])
        if choices.get("other"):
            labels.append(choices["other"])
        return labels
    if kind in ("text", "email", "phone_number", "boolean", "number", "date", "url"):
        return answer.get(kind)
    return None


def registration_data(form: TypeformForm, response: dict) -> dict:
    """Our registration fields from one form response, through the form's mapping."""
    field_by_ref = {ref: ours for ours, ref in (form.field_refs or {}).items() if ref}
    data = {}
    for answer in response.get("answers") or []:
        if not isinstance(answer, dict):
            continue
        ref = (answer.get("field") or {}).get("ref")
        ours = field_by_ref.get(ref)
        if ours:
            data[ours] = answer_value(answer)
    hidden = response.get("hidden") or {}
    if isinstance(hidden, dict):
        for name, ours in (form.hidden_fields or {}).items():
            if ours in UTM_FIELDS and hidden.get(name):
                data[ours] = hidden[name]
    return data


def consent_texts(form: TypeformForm, response: dict) -> dict:
    """The question shown for each mapped consent ("consent", "sms_consent"): the text the
    person agreed to, from the form's definition as it was when they answered."""
    definition = response.get("definition")
    definition = definition if isinstance(definition, dict) else {}
    title_by_ref = {
        field.get("ref"): field.get("title") or ""
        for field in definition.get("fields") or []
        if isinstance(field, dict)
    }
    refs = form.field_refs or {}
    return {
        name: title_by_ref[refs[name]]
        for name in ("consent", "sms_consent")
        if title_by_ref.get(refs.get(name))
    }


@webhook_handler("typeform", "form_response")
def typeform_response_received(event):
    response = event.payload.get("form_response")
    if not isinstance(response, dict):
        raise PermanentWebhookError(_("El evento no trae form_response."))
    form_id = response.get("form_id") or ""
    form = TypeformForm.objects.filter(form_id=form_id, active=True).first()
    if form is None:
        raise PermanentWebhookError(
            _(
                "El formulario de Typeform «%(form)s» no está configurado: añádelo en "
                "Estudiantes › Formularios de Typeform y vuelve a procesar el evento."
            )
            % {"form": form_id}
        )
    external_id = f"{form_id}:{response.get('token') or event.event_id}"
    if form.purpose == TypeformForm.Purpose.LEAD:
        typeform_lead_received.send(
            sender=TypeformForm,
            form=form,
            data=registration_data(form, response),
            consent_texts=consent_texts(form, response),
            external_id=external_id,
        )
        return
    register_student(
        data=registration_data(form, response),
        source=Student.Source.TYPEFORM,
        external_id=external_id,
    )
