"""Students admin, one module per area."""

from students.admin import billing, intake, students  # noqa: F401
