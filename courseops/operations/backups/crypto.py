"""Encrypted backup files: AES-256-GCM over 1 MiB chunks, streamed, so a dump of any size
is encrypted without holding it in memory.

Format: MAGIC, the 8-byte id of the key used, then chunks of
`length (4 bytes) | nonce (12) | ciphertext+tag`. Each chunk's associated data is its
index and a last-chunk flag, so reordering, dropping or truncating chunks fails to decrypt.

Keys come from BACKUP_ENCRYPTION_KEYS (same format as Fernet keys: 32 url-safe base64
bytes; first encrypts, all decrypt by id), kept apart from the field keys so that rotating
those never makes an old backup unreadable.
"""

import base64
import hashlib
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import ImproperlyConfigured

from courseops.operations.encryption import configured_secret, derive_key

MAGIC = b"COURSEOPS-BACKUP-1\n"
CHUNK = 1024 * 1024
_HEADER = struct.Struct(">I")
_AAD = struct.Struct(">Q?")


class BackupDecryptionError(Exception):
    pass


def backup_keys():
    configured = configured_secret("BACKUP_ENCRYPTION_KEYS")
    if not configured:
        return [derive_key(b"courseops backups")]
    try:
        keys = [base64.urlsafe_b64decode(key) for key in configured]
    except ValueError as exc:
        raise ImproperlyConfigured("BACKUP_ENCRYPTION_KEYS must be base64 keys.") from exc
    if any(len(key) != 32 for key in keys):
        raise ImproperlyConfigured("Each BACKUP_ENCRYPTION_KEYS key must decode to 32 bytes.")
    return keys


def _key_id(key):
    return hashlib.sha256(b"courseops backup key id" + key).digest()[:8]


def encrypt_file(source, destination):
    key = backup_keys()[0]
    cipher = AESGCM(key)
    with open(source, "rb") as plain, open(destination, "wb") as out:
        out.write(MAGIC + _key_id(key))
        index, chunk = 0, plain.read(CHUNK)
        while True:
            following = plain.read(CHUNK)
            nonce = os.urandom(12)
            sealed = cipher.encrypt(nonce, chunk, _AAD.pack(index, not following))
            out.write(_HEADER.pack(len(sealed)) + nonce + sealed)
            if not following:
                return
            index, chunk = index + 1, following


def decrypt_file(source, destination):
    with open(source, "rb") as sealed_file, open(destination, "wb") as out:
        if sealed_file.read(len(MAGIC)) != MAGIC:
            raise BackupDecryptionError(f"{source} is not a CourseOps backup.")
        key_id = sealed_file.read(8)
        key = next((key for key in backup_keys() if _key_id(key) == key_id), None)
        if key is None:
            raise BackupDecryptionError(
                "None of BACKUP_ENCRYPTION_KEYS opens this backup: add the key it was made with."
            )
        cipher, index = AESGCM(key), 0
        while True:
            header = sealed_file.read(_HEADER.size)
            if len(header) != _HEADER.size:
                raise BackupDecryptionError("The backup is truncated.")
            nonce = sealed_file.read(12)
            sealed = sealed_file.read(_HEADER.unpack(header)[0])
            last = not sealed_file.peek(1)
            try:
                out.write(cipher.decrypt(nonce, sealed, _AAD.pack(index, last)))
            except InvalidTag as exc:
                raise BackupDecryptionError("The backup was altered or is incomplete.") from exc
            if last:
                return
            index += 1
