"""What opened a ticket, in words. Tickets store a short code ("welcome_call"); the app
that opens them registers its label at startup, so staff read "Llamada de bienvenida"."""

_LABELS = {}


def register_ticket_kind(name, label):
    _LABELS[name] = label


def ticket_kind_label(name):
    """The registered label; an unregistered code as it is, nothing for no kind."""
    return str(_LABELS[name]) if name in _LABELS else name


def ticket_kind_choices():
    return sorted(((name, str(label)) for name, label in _LABELS.items()), key=lambda c: c[1])
