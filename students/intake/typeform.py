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
from students.intake.validation import UTM_FIELDS, active_plans, pick_answer
from students.models import Student, TypeformForm
from students.signals import typeform_lead_received


def _choice_spellings(choice):
    """A chosen option's ways of saying it, most stable first: the `ref` the form designer
    gave it, the label people read, what was typed in "Other"."""
    if not isinstance(choice, dict):
        return []
    return [v for v in (choice.get("ref"), choice.get("label"), choice.get("other")) if v]


def answer_candidates(answer: dict):
    """The candidate values of one answer (Typeform's `type` names the key): a list of
    spellings for a single value, or a list of lists for a multiple choice."""
    kind = answer.get("type")
    if kind == "choice":
        return _choice_spellings(answer.get("choice"))
    if kind == "choices":
        choices = answer.get("choices") or {}
        labels = list(choices.get("labels") or [])
        refs = list(choices.get("refs") or [])
        options = [
            [v for v in (refs[i] if i < len(refs) else None, label) if v]
            for i, label in enumerate(labels)
        ]
        if choices.get("other"):
            options.append([choices["other"]])
        return [option for option in options if option]
    if kind in ("text", "email", "phone_number", "boolean", "number", "date", "url"):
        value = answer.get(kind)
        return [] if value is None else [value]
    return []


def answer_value(answer: dict, *, field: str = "", plans=None):
    """The value of one answer for our `field`: by the choice's ref, with its label (or
    "Other") as the fallback when the field does not accept the ref."""
    candidates = answer_candidates(answer)
    if answer.get("type") == "choices":
        return [pick_answer(field, option, plans=plans) for option in candidates]
    if len(candidates) == 1:
        return candidates[0]
    return pick_answer(field, candidates, plans=plans)


def _refs_by_field_id(response):
    definition = response.get("definition")
    fields = definition.get("fields") if isinstance(definition, dict) else None
    return {
        field.get("id"): field.get("ref")
        for field in fields or []
        if isinstance(field, dict) and field.get("id") and field.get("ref")
    }


def registration_data(form: TypeformForm, response: dict) -> dict:
    """Our registration fields from one form response, through the form's mapping."""
    field_by_ref = {ref: ours for ours, ref in (form.field_refs or {}).items() if ref}
    ref_by_id = _refs_by_field_id(response)
    plans = active_plans()
    data = {}
    for answer in response.get("answers") or []:
        if not isinstance(answer, dict):
            continue
        field = answer.get("field") if isinstance(answer.get("field"), dict) else {}
        # Typeform's own example answers name only the field id: its ref is in the definition.
        ref = field.get("ref") or ref_by_id.get(field.get("id"))
        ours = field_by_ref.get(ref)
        if ours:
            data[ours] = answer_value(answer, field=ours, plans=plans)
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


def last_response_fields(form_id: str):
    """The questions ([(ref, title)]) and hidden field names of a form, as its last response
    received described them: what staff pick the mapping from, without typing refs."""
    from courseops.webhooks.models import WebhookEvent

    event = (
        WebhookEvent.objects.filter(provider="typeform", payload__form_response__form_id=form_id)
        .order_by("-received_at")
        .only("payload")
        .first()
    )
    if event is None:
        return [], []
    response = event.payload.get("form_response") or {}
    definition = response.get("definition") if isinstance(response, dict) else None
    fields = (definition or {}).get("fields") if isinstance(definition, dict) else None
    questions = [
        (field["ref"], " ".join(str(field.get("title") or field["ref"]).split())[:120])
        for field in fields or []
        if isinstance(field, dict) and field.get("ref")
    ]
    hidden = response.get("hidden") if isinstance(response, dict) else None
    return questions, sorted(hidden) if isinstance(hidden, dict) else []
