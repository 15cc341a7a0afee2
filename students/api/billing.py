"""API views and routes for this area."""

urlpatterns = []
