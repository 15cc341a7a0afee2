"""Stripe: checkout and Customer Portal links, the subscription mirror, dunning.

Setting up Stripe (Dashboard > Developers > Webhooks): endpoint `{SITE_URL}/webhooks/stripe/`,
its signing secret in `STRIPE_WEBHOOK_SECRET`, the API key in `STRIPE_SECRET_KEY`, and these
events: checkout.session.completed, checkout.session.async_payment_succeeded,
checkout.session.expired (an abandoned checkout),
customer.subscription.created / updated / deleted / paused / resumed, invoice.paid,
invoice.payment_failed. Each plan needs its recurring Price id in `Plan.stripe_price_id`;
enable the Customer Portal (Settings > Billing > Customer portal) for the portal links.

Modules: `client` (the SDK client and error classification), `services` (everything the
rest of the project calls), `webhooks` (thin handlers), `views`/`urls` (the emailed link
that opens a fresh portal session).
"""
