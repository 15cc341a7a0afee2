"""The onboarding pipeline: validate -> account -> materials -> webinars -> welcome email
-> follow-up ticket, one persisted `OnboardingStep` row per student and step."""
