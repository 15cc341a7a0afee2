"""What the content app tells the floors above it (engagement listens; content imports it not)."""

from django.dispatch import Signal

# A lesson's materials were published to its course.
# kwargs: lesson
lesson_published = Signal()

# A student opened a lesson in the portal.
# kwargs: lesson, student, at (aware datetime)
lesson_viewed = Signal()

# A student finished a lesson (portal, or an LMS that reports it).
# kwargs: lesson, student, at (aware datetime)
lesson_completed = Signal()

# A student submitted a lesson's quiz and it was scored.
# kwargs: attempt, lesson, student, score, max_score, at (aware datetime)
quiz_attempted = Signal()

# A student's share of a lesson's video seen reached a new milestone (WATCH_MILESTONES).
# kwargs: lesson, student, percent (the milestone), at (aware datetime)
lesson_watched = Signal()
