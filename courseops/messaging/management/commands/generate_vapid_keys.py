"""Print a new VAPID key pair for web push, as the two .env lines that turn push on."""

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management.base import BaseCommand


def _b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def vapid_key_pair():
    """(private, public): the raw P-256 private number and the uncompressed public point,
    base64url without padding (what pywebpush and a browser's applicationServerKey read)."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64url(private), _b64url(public)


class Command(BaseCommand):
    help = "Print a new VAPID key pair for web push (WEBPUSH_VAPID_* lines for the .env)."

    def handle(self, *args, **options):
        private, public = vapid_key_pair()
        self.stdout.write(
            f"WEBPUSH_VAPID_PRIVATE_KEY={private}\nWEBPUSH_VAPID_PUBLIC_KEY={public}\n"
        )
        self.stderr.write(
            "Keep the private key secret. Changing the pair later invalidates every "
            "browser's subscription."
        )
