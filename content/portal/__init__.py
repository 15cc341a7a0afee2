"""The content app's portal pages: a student's lessons, their materials and quizzes."""
