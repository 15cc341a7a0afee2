from courseops.core.demo import load_demo_data
from students.models import IntakeRecord, Student, TypeformForm


def test_the_demo_shows_intake_records_in_every_state_and_loads_twice_unchanged(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        load_demo_data()
        load_demo_data()

    statuses = {
        r.external_id: r.status
        for r in IntakeRecord.objects.filter(external_id__startswith="demo:")
    }
    assert statuses == {
        "demo:invalid-plan": IntakeRecord.Status.INVALID,
        "demo:email-typo": IntakeRecord.Status.INVALID,
        "demo:duplicate": IntakeRecord.Status.DUPLICATE,
    }
    assert Student.objects.filter(email__iexact="maria.demo@example.com").count() == 1
    assert TypeformForm.objects.filter(form_id="demoForm1").exists()
