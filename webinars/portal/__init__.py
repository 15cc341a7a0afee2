"""The webinars app's portal pages: the signed-in student's "Mis webinars"."""
