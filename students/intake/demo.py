"""Demo intake: a configured Typeform form and registrations in each intake state (idempotent).

Imported by `students/demo.py` after its own loader, so the demo plans and students exist.
"""

from courseops.core.demo import register
from students.intake.services import register_student
from students.models import Student, TypeformForm

REGISTRATIONS = [
    # Wrong plan and phone: kept with errors, the person emailed a correction link.
    (
        "demo:invalid-plan",
        Student.Source.TYPEFORM,
        {
            "email": "andres.demo@example.com",
            "full_name": "Andrés Molina",
            "phone": "123",
            "country": "CO",
            "plan": "oro",
        },
    ),
    # A typo in the email: nobody to write to, staff fix it from the admin.
    (
        "demo:email-typo",
        Student.Source.API,
        {"email": "valeria.demo@gmial.com", "full_name": "Valeria Soto", "plan": "premium"},
    ),
    # The same person again from another door: one student, a duplicate record.
    (
        "demo:duplicate",
        Student.Source.CSV,
        {"email": "MARIA.DEMO@example.com", "full_name": "María López", "plan": "basico"},
    ),
]


@register
def load_intake_demo(*, staff):
    TypeformForm.objects.get_or_create(
        form_id="demoForm1",
        defaults={
            "name": "Inscripción Curso de IA (demo)",
            "field_refs": {
                "full_name": "nombre",
                "email": "correo",
                "phone": "telefono",
                "country": "pais",
                "plan": "plan",
                "interests": "intereses",
                "consent": "acepto",
            },
            "hidden_fields": {"utm_source": "utm_source", "utm_campaign": "utm_campaign"},
        },
    )
    for external_id, source, data in REGISTRATIONS:
        register_student(data=data, source=source, external_id=external_id)
