import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from content.models import Course, Lesson
from students.models import Plan, Student
from tests.ai.conftest import fake_openai, make_httpserver  # noqa: F401  (shared fixtures)

TOPICS = [
    "los modelos de lenguaje predicen la siguiente palabra a partir del contexto",
    "un embedding convierte un texto en un vector de números comparable",
    "la búsqueda semántica encuentra documentos parecidos por su significado",
    "RAG combina la búsqueda de documentos con la generación de respuestas",
    "los prompts con ejemplos mejoran la precisión del modelo",
    "la temperatura controla cuánta variedad hay en las respuestas",
    "evaluar con un conjunto de preguntas fijas evita regresiones",
    "el coste depende de los tokens de entrada y de salida",
]


def make_vtt(cues=24, every=25):
    lines = ["WEBVTT", ""]
    for number in range(cues):
        start = number * every
        minutes, seconds = divmod(start, 60)
        end_m, end_s = divmod(start + every - 1, 60)
        topic = TOPICS[number % len(TOPICS)]
        lines += [
            f"00:{minutes:02d}:{seconds:02d}.000 --> 00:{end_m:02d}:{end_s:02d}.000",
            f"En esta parte número {number + 1} vemos que {topic}.",
            "",
        ]
    return "\n".join(lines)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def plan(db):
    return Plan.objects.create(slug="pro", name="Pro")


@pytest.fixture
def course(plan):
    course = Course.objects.create(title="IA aplicada", slug="ia-aplicada")
    course.plans.add(plan)
    return course


def _student(plan, name, email, **kwargs):
    return Student.objects.create(
        full_name=name, email=email, plan=plan, source=Student.Source.API, **kwargs
    )


@pytest.fixture
def students(plan):
    other = Plan.objects.create(slug="basico", name="Básico")
    _student(other, "Otro Plan", "otro@example.com", status=Student.Status.ACTIVE)
    _student(plan, "Baja Total", "baja@example.com", status=Student.Status.INACTIVE)
    return [
        _student(plan, "Lucía Pérez", "lucia@example.com", status=Student.Status.ACTIVE),
        _student(plan, "Mateo Gómez", "mateo@example.com", status=Student.Status.ACTIVE),
    ]


@pytest.fixture
def make_lesson(course):
    def make(*, order=1, title="Embeddings y RAG", vtt=None, **kwargs):
        lesson = Lesson(course=course, order=order, title=title, **kwargs)
        if vtt is not None:
            lesson.subtitles = SimpleUploadedFile("clase.vtt", vtt.encode(), "text/vtt")
        lesson.save()
        return lesson

    return make
