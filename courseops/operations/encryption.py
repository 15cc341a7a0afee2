"""Keys and primitives for encrypting personal data at rest.

`FIELD_ENCRYPTION_KEYS` is a list of Fernet keys: the first encrypts, all decrypt
(cryptography's MultiFernet), so a new key is added in front, `manage.py
rotate_encryption_keys` re-encrypts every row under it, and the old key is then removed.
`FIELD_HASH_KEY` keys the blind index that lets a searchable encrypted field be found by
exact value without storing it in clear.

In development both fall back to keys derived from SECRET_KEY with HKDF (each with its own
label, so neither reveals the other nor SECRET_KEY); production refuses to start without
them (system check courseops.E101).
"""

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Every Fernet token starts with the version byte 0x80, "gAAAAA" once base64-encoded.
TOKEN_PREFIX = "gAAAAA"
BLIND_INDEX_CHARS = 32  # hex characters of HMAC-SHA256 kept: 128 bits


class DecryptionError(Exception):
    """A stored value no configured key opens: FIELD_ENCRYPTION_KEYS lost the old key."""


def derive_key(label: bytes) -> bytes:
    """32 bytes for one purpose (`label`), derived from SECRET_KEY; development only."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"courseops", info=label).derive(
        settings.SECRET_KEY.encode()
    )


def configured_secret(name):
    value = getattr(settings, name)
    if not value and settings.PRODUCTION:
        raise ImproperlyConfigured(f"{name} is required in production (see docs/operations.md).")
    return value


def encryption_keys() -> list[str]:
    keys = configured_secret("FIELD_ENCRYPTION_KEYS")
    if keys:
        return list(keys)
    return [base64.urlsafe_b64encode(derive_key(b"courseops field encryption")).decode()]


def hash_key() -> bytes:
    key = configured_secret("FIELD_HASH_KEY")
    return key.encode() if key else derive_key(b"courseops field blind index")


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must hold Fernet keys (32 url-safe base64-encoded bytes)."
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(encryption_keys()))


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError(
            "A stored value cannot be decrypted with FIELD_ENCRYPTION_KEYS: keep every key "
            "still in use in the list until rotate_encryption_keys has run."
        ) from exc


def blind_index(text: str) -> str:
    """A keyed hash of the exact value: equal values match, nothing else is revealed."""
    return hmac.new(hash_key(), text.encode(), hashlib.sha256).hexdigest()[:BLIND_INDEX_CHARS]


def is_token(raw: str) -> bool:
    return raw.rpartition(":")[2].startswith(TOKEN_PREFIX)
