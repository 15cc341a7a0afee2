"""An audit entry as a sentence staff read: "ana aprobó el borrador «Bienvenida»", not
"reviews.draft.approved". The verb comes from the last part of the dotted action (apps
name their actions with these past participles); the noun from the object's model."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The last part of an action -> what the actor did, in the past tense.
VERBS = {
    "acknowledged": _("reconoció"),
    "activated": _("activó"),
    "announced": _("anunció"),
    "answered": _("respondió"),
    "applied": _("aplicó"),
    "approved": _("aprobó"),
    "built": _("generó"),
    "cancelled": _("canceló"),
    "canceled": _("canceló"),
    "churned": _("dio de baja"),
    "commented": _("comentó"),
    "completed": _("completó"),
    "confirmed": _("confirmó"),
    "copy_applied": _("aplicó el texto de"),
    "corrected": _("corrigió"),
    "correction_sent": _("envió la corrección de"),
    "crashed": _("registró una caída en"),
    "created": _("creó"),
    "created_from_question": _("creó a partir de una pregunta"),
    "deactivated": _("desactivó"),
    "deleted": _("borró"),
    "draft_failed": _("no pudo redactar"),
    "edited": _("editó"),
    "enrolled": _("inscribió"),
    "erased": _("borró los datos de"),
    "expired": _("dio por caducado"),
    "failed": _("falló al aplicar"),
    "goal": _("registró el objetivo cumplido de"),
    "graded": _("calificó"),
    "granted": _("concedió"),
    "issued": _("emitió"),
    "linked_to_student": _("vinculó con su estudiante"),
    "opened": _("abrió"),
    "paused": _("pausó"),
    "payment_failed": _("registró un pago fallido de"),
    "pending_failed": _("no pudo completar un trabajo pendiente de"),
    "plan_changed": _("cambió el plan de"),
    "plan_upgraded": _("subió de plan"),
    "published": _("publicó"),
    "received": _("recibió"),
    "recorded": _("registró"),
    "redeemed": _("canjeó"),
    "refused": _("rechazó"),
    "registered": _("inscribió"),
    "rejected": _("rechazó"),
    "removed": _("quitó"),
    "requested": _("pidió"),
    "rerun": _("volvió a ejecutar"),
    "reregistered": _("volvió a inscribir"),
    "rescheduled": _("reprogramó"),
    "resend_requested": _("pidió reenviar"),
    "resolved": _("resolvió"),
    "restored": _("restauró"),
    "resumed": _("reanudó"),
    "retried": _("reintentó"),
    "revoked": _("revocó"),
    "rotated": _("rotó"),
    "scheduled": _("programó"),
    "sent": _("envió"),
    "set": _("fijó"),
    "skipped": _("omitió"),
    "snoozed": _("pospuso"),
    "started": _("empezó"),
    "step_failed": _("registró un paso fallido en"),
    "step_retried": _("reintentó un paso de"),
    "stripe_linked": _("vinculó con Stripe"),
    "superseded": _("sustituyó"),
    "taken_over": _("retomó"),
    "transcribed": _("transcribió"),
    "unsubscribe": _("dio de baja"),
    "updated": _("actualizó"),
    "uploaded": _("subió"),
    "video_redrafted": _("volvió a redactar el vídeo de"),
    "winner": _("eligió la variante ganadora de"),
    "withdrawn": _("retiró"),
}
# Spanish nouns with these endings are feminine ("la suscripción", "la campaña").
FEMININE_ENDINGS = ("a", "ión", "dad", "tud", "umbre")
FEMININE = {"clave", "clase", "llave"}
MASCULINE = {"día", "sistema", "tema", "programa", "esquema"}


def action_label(action):
    """The verb of a dotted action in words ("aprobó"); the code itself if unknown."""
    verb = VERBS.get(action.rsplit(".", 1)[-1])
    return str(verb) if verb else action


def verb_choices():
    """{"approved": "aprobó", "cancelled,canceled": "canceló", ...}: one choice per wording,
    its key the verbs said that way."""
    by_label = {}
    for verb, label in VERBS.items():
        by_label.setdefault(str(label), []).append(verb)
    return {",".join(verbs): label for label, verbs in by_label.items()}


def verb_choices_of(value):
    """The known verbs in a choice's key (anything else is ignored)."""
    return [verb for verb in (value or "").split(",") if verb in VERBS]


def _with_article(noun):
    head = noun.split(" ", 1)[0].lower()
    feminine = head in FEMININE or (head not in MASCULINE and head.endswith(FEMININE_ENDINGS))
    return f"{gettext('la') if feminine else gettext('el')} {noun}"


def sentence(entry):
    """ "<usuario> aprobó el borrador «Bienvenida»"; an automation when nobody acted."""
    who = entry.actor.get_username() if entry.actor_id else gettext("Una automatización")
    model = entry.content_type.model_class() if entry.content_type_id else None
    what = _with_article(str(model._meta.verbose_name)) if model else ""
    name = f"«{entry.object_repr}»" if entry.object_repr else ""
    return " ".join(part for part in (who, action_label(entry.action), what, name) if part)
