from django.core.management.base import BaseCommand, CommandError

from courseops.ai.errors import AIError
from courseops.ai.gateway import generate


class Command(BaseCommand):
    help = "Run the `smoke` prompt through the configured AI provider and print what it cost."

    def add_arguments(self, parser):
        parser.add_argument("--language", default="es", help="Language code (default: es).")
        parser.add_argument("--topic", default="", help="Optional topic to mention.")

    def handle(self, *args, language, topic, **options):
        try:
            result = generate("smoke", {"topic": topic}, language=language, requested_by="ai.smoke")
        except AIError as exc:
            raise CommandError(f"{type(exc).__name__}: {exc}") from exc
        usage = result.usage
        self.stdout.write(result.text)
        self.stdout.write(
            f"provider={result.provider} model={result.model} offline={result.offline} "
            f"cached={result.cached} tokens={usage.tokens_in}/{usage.tokens_out} "
            f"cost_usd={usage.cost_usd} latency_ms={usage.latency_ms}"
        )
