"""The three messages a plan's drip starts with (demo data, and staff's action on a plan
that has none): staff edit them afterwards, per plan."""

from engagement.drip.models import DripGoal, DripMessage

DEFAULT_MESSAGES = [
    (
        DripGoal.SIGN_IN,
        1,
        "{nombre}, tu curso te espera: entra al portal",
        "Hola {nombre}:\n\nAyer te dimos la bienvenida y aún no has entrado al portal. "
        "Solo necesitas un minuto: con el botón de abajo entras directamente, sin "
        "contraseña.\n\nDentro tienes tus materiales, tus lecciones y los próximos webinars "
        "en vivo.",
        "{nombre}, your course is waiting: sign in to the portal",
        "Hi {nombre},\n\nWe welcomed you yesterday and you have not signed in to the portal "
        "yet. It only takes a minute: the button below takes you straight in, no password "
        "needed.\n\nInside you will find your materials, your lessons and the upcoming live "
        "webinars.",
    ),
    (
        DripGoal.FIRST_LESSON,
        3,
        "Tu primera lección dura menos que un café",
        "Hola {nombre}:\n\nEl mejor momento para empezar es hoy. Te proponemos ver tu "
        "primera lección: es corta y práctica, y al terminarla ya sabrás aplicar una idea "
        "concreta.\n\nReserva un rato fijo cada semana: la constancia marca la diferencia.",
        "Your first lesson takes less time than a coffee",
        "Hi {nombre},\n\nThe best time to start is today. Watch your first lesson: it is "
        "short and practical, and by the end you will be able to apply one concrete "
        "idea.\n\nSet aside a fixed time each week: consistency makes the difference.",
    ),
    (
        DripGoal.FIRST_WEBINAR,
        7,
        "Te guardamos un sitio en tu primer webinar en vivo",
        "Hola {nombre}:\n\nEn los webinars en vivo resuelves tus dudas con el equipo docente "
        "y conoces a otros alumnos. Apúntate al próximo desde el portal: te enviaremos el "
        "enlace y un recordatorio antes de empezar.",
        "We saved you a seat at your first live webinar",
        "Hi {nombre},\n\nIn the live webinars you get your questions answered by the "
        "teaching team and meet other students. Sign up for the next one in the portal: we "
        "will send you the link and a reminder before it starts.",
    ),
]


def install_default_drip(plan):
    """The default messages the plan lacks (by goal): a plan staff edited keeps its texts.
    Returns how many were added."""
    have = set(DripMessage.objects.filter(plan=plan).values_list("goal", flat=True))
    new = [
        DripMessage(
            plan=plan,
            goal=goal,
            day=day,
            subject_es=subject_es,
            body_es=body_es,
            subject_en=subject_en,
            body_en=body_en,
        )
        for goal, day, subject_es, body_es, subject_en, body_en in DEFAULT_MESSAGES
        if goal not in have
    ]
    DripMessage.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)
