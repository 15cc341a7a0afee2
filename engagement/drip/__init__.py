"""The onboarding drip: day 1, 3 and 7 messages per plan after a student's onboarding, each
asking for one step (enter the portal, watch a lesson, join a webinar) and never sent to a
student who already took it. Engagement owns it because only it reads the activity,
lesson progress and webinar registrations the steps are measured by."""
