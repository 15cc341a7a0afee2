from students.api import billing, onboarding

urlpatterns = [*onboarding.urlpatterns, *billing.urlpatterns]
