from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from courseops.operations.tokens import issue_token, scope_choices, token_holder_problem


class Command(BaseCommand):
    help = "Issue a scoped API token for an integration and print its key (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("username", help="The staff account the integration acts as.")
        parser.add_argument("--name", required=True, help="Which integration, e.g. zapier.")
        parser.add_argument(
            "--scope",
            action="append",
            required=True,
            dest="scopes",
            help="'*', '<app>:read' or '<app>:write'; repeat for several.",
        )
        parser.add_argument("--days", type=int, default=None, help="Expires after N days.")

    def handle(self, *args, username, name, scopes, days, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if problem := token_holder_problem(user):
            raise CommandError(problem)
        valid = {value for value, _label in scope_choices()}
        if unknown := sorted(set(scopes) - valid):
            raise CommandError(f"Unknown scopes: {', '.join(unknown)}.")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        token, key = issue_token(user=user, name=name, scopes=scopes, expires_at=expires_at)
        self.stdout.write(key)
        self.stderr.write(f"Token {token.prefix}… para {user}: {', '.join(token.scopes)}")
