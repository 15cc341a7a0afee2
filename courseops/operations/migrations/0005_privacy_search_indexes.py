"""Indexes for an erasure's searches on the core tables (see
courseops.operations.search_indexes): PostgreSQL only, built concurrently."""

from django.db import migrations

from courseops.operations.search_indexes import iexact_indexes, text_search_indexes


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("operations", "0004_kpi_targets"),
        ("messaging", "0006_encrypt_sms_recipient"),
        ("reviews", "0001_initial"),
        ("webhooks", "0001_initial"),
        ("audit", "0001_initial"),
        ("support", "0001_initial"),
        ("ai", "0001_initial"),
    ]

    operations = [
        text_search_indexes(
            "messaging",
            "OutboundMessage",
            "recipient",
            "subject",
            "text_body",
            "html_body",
            "person_key",
            "idempotency_key",
            "context",
            "headers",
            "attachments",
        ),
        iexact_indexes("messaging", "OutboundMessage", "recipient"),
        iexact_indexes("messaging", "Suppression", "address"),
        text_search_indexes(
            "reviews",
            "Draft",
            "target_repr",
            "recipient",
            "generated_subject",
            "generated_body",
            "subject",
            "body",
            "decision_note",
            "last_error",
            "generated_data",
            "data",
            "context",
        ),
        iexact_indexes("reviews", "Draft", "recipient"),
        text_search_indexes("webhooks", "WebhookEvent", "body", "last_error", "payload", "headers"),
        text_search_indexes("audit", "AuditEntry", "object_repr", "data"),
        text_search_indexes("support", "Ticket", "subject", "description", "key"),
        text_search_indexes("ai", "AIUsage", "requested_by", "error"),
    ]
