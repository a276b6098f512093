"""Encryption at rest of conditional data: Parquet modular encryption (pyarrow).

With ``SANDBOX_ENCRYPT_AT_REST`` on, every version of a conditional dataset is written as
an encrypted Parquet file (footer and every column, AES-GCM), and so is every derived copy
of a version under the data root (contribution-bounded and joined copies, and their
temporary parts): a file read off the disk or the bucket shows no value. Unconditional
versions stay plain (they are public, and downloaded as stored).

Keys follow Parquet's envelope scheme: each file has its own data keys, wrapped by a
*master key* that a key-management client (KMS) holds. Two kinds of client:

- the embedded default, a local key file (``SANDBOX_ENCRYPTION_KEY_PATH``, default
  ``<var>/secrets/data-encryption.key``, created with mode 0600 on the first start): a
  256-bit master key that wraps the data keys with AES-GCM (:class:`LocalKeyClient`);
- the operator's KMS: ``SANDBOX_KMS_CLIENT=package.module:factory`` names a callable that
  takes a :class:`pyarrow.parquet.encryption.KmsConnectionConfig` and returns a
  :class:`pyarrow.parquet.encryption.KmsClient` (Vault, a cloud KMS), and
  ``SANDBOX_KMS_MASTER_KEY_ID`` the master key in it.

A process learns the scheme of a data root with :func:`install` (the platform does at
start, the engine's Ray tasks receive the installed schemes with their call, like the
store's credentials); :func:`read_properties` then decrypts every file it opens, and
:func:`write_properties` encrypts what is written under an installed root. Reading a plain
file with decryption properties is harmless, so readers always pass them.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet.encryption as pe
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

from sandbox.config import Settings
from sandbox.errors import InvalidRequest

LOCAL_CLIENT = "local"
"""The ``kms_client`` of the embedded default: a master key held in a local key file."""
KEY_BYTES = 32
NONCE_BYTES = 12
CACHE_LIFETIME = timedelta(minutes=10)


@dataclass(frozen=True)
class AtRest:
    """How the files under one data root are encrypted: picklable, sent to Ray tasks."""

    root: str
    """The data root (a path inside the store's filesystem) this applies to."""
    kms_client: str
    """``local`` or the operator's ``package.module:factory``."""
    master_key_id: str
    local_keys: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    """The local client's master keys (id, base64); empty with an operator KMS."""
    kms_instance_id: str = ""
    kms_instance_url: str = ""

    def connection(self) -> pe.KmsConnectionConfig:
        """The KMS connection of this scheme (which client; where the operator's KMS is)."""
        config = pe.KmsConnectionConfig(custom_kms_conf={"sandbox_kms_client": self.kms_client})
        if self.kms_instance_id:
            config.kms_instance_id = self.kms_instance_id
        if self.kms_instance_url:
            config.kms_instance_url = self.kms_instance_url
        return config


_lock = threading.Lock()
_schemes: dict[str, AtRest] = {}
_factory: pe.CryptoFactory | None = None


def install(*schemes: AtRest) -> None:
    """Make ``schemes`` this process's (added to any installed before: a Ray worker may
    serve several platforms).
    """
    with _lock:
        for scheme in schemes:
            _schemes[scheme.root] = scheme


def installed() -> tuple[AtRest, ...]:
    """The schemes this process knows (what a Ray task of the engine is sent)."""
    with _lock:
        return tuple(_schemes.values())


def uninstall(root: str) -> None:
    """Forget the scheme of data root ``root`` (a platform closed in a long-lived process)."""
    with _lock:
        _schemes.pop(root, None)


def scheme_for(path: str) -> AtRest | None:
    """The scheme of the data root ``path`` is under, if one is installed."""
    with _lock:
        matches = [s for root, s in _schemes.items() if path == root or path.startswith(root + "/")]
    return max(matches, key=lambda s: len(s.root)) if matches else None


def write_properties(path: str) -> pe.FileEncryptionProperties | None:
    """The encryption of a file about to be written at ``path``; ``None``: write it plain."""
    scheme = scheme_for(path)
    if scheme is None:
        return None
    config = pe.EncryptionConfiguration(
        footer_key=scheme.master_key_id,
        uniform_encryption=True,
        plaintext_footer=False,
        double_wrapping=True,
        internal_key_material=True,  # the wrapped keys live in the file itself (S3-safe)
        cache_lifetime=CACHE_LIFETIME,
    )
    return _crypto().file_encryption_properties(scheme.connection(), config)


def read_properties() -> pe.FileDecryptionProperties | None:
    """Decryption for any file this process may read; ``None`` when nothing is encrypted."""
    schemes = installed()
    if not schemes:
        return None
    config = pe.DecryptionConfiguration(cache_lifetime=CACHE_LIFETIME)
    return _crypto().file_decryption_properties(schemes[0].connection(), config)


def run_with(schemes: tuple[AtRest, ...], fn: Callable[..., Any], *args: Any) -> Any:
    """Call ``fn(*args)`` once ``schemes`` are installed (the body of an engine task)."""
    install(*schemes)
    return fn(*args)


# --- the key-management clients --------------------------------------------------------------


class LocalKeyClient(pe.KmsClient):  # type: ignore[misc]
    """The embedded KMS: data keys wrapped with AES-GCM by a master key from a key file."""

    def wrap_key(self, key_bytes: bytes, master_key_identifier: str) -> bytes:
        """Seal a file's data key (a fresh nonce, the key id as associated data)."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(_master_key(master_key_identifier)).encrypt(
            nonce, key_bytes, master_key_identifier.encode()
        )
        return base64.b64encode(nonce + sealed)

    def unwrap_key(self, wrapped_key: bytes, master_key_identifier: str) -> bytes:
        """Open a sealed data key; a wrong master key fails its authentication."""
        raw = base64.b64decode(wrapped_key)
        key = AESGCM(_master_key(master_key_identifier))
        return bytes(
            key.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], master_key_identifier.encode())
        )


def _master_key(key_id: str) -> bytes:
    for scheme in installed():
        for found, encoded in scheme.local_keys:
            if found == key_id:
                return base64.b64decode(encoded)
    raise OSError(f"the master key {key_id!r} of an encrypted file is not installed here")


def _client(config: pe.KmsConnectionConfig) -> pe.KmsClient:
    name = config.custom_kms_conf.get("sandbox_kms_client", LOCAL_CLIENT)
    if name == LOCAL_CLIENT:
        return LocalKeyClient()
    module, _, attribute = name.partition(":")
    factory = getattr(importlib.import_module(module), attribute)
    client: pe.KmsClient = factory(config)
    return client


def _crypto() -> pe.CryptoFactory:
    global _factory
    with _lock:
        if _factory is None:
            _factory = pe.CryptoFactory(_client)
        return _factory


# --- the local key file ----------------------------------------------------------------------


def load_or_create_key(path: Path) -> tuple[str, str]:
    """The local master key (id, base64) in ``path``, created (mode 0600) if missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = base64.b64encode(os.urandom(KEY_BYTES)).decode()
        key_id = f"local-{os.urandom(6).hex()}"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            json.dump({"key_id": key_id, "key": key}, out)
    return parse_key(path.read_text())


def parse_key(text: str) -> tuple[str, str]:
    """A key document ``{"key_id": ..., "key": <base64 of 32 bytes>}`` as (id, base64)."""
    try:
        document = json.loads(text)
        key_id, key = str(document["key_id"]), str(document["key"])
        if len(base64.b64decode(key, validate=True)) != KEY_BYTES:
            raise ValueError("not 32 bytes")
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"the data encryption key is not a valid key document ({exc})") from exc
    return key_id, key


def scheme_of(settings: Settings, root: str) -> tuple[AtRest, Settings]:
    """The scheme ``settings`` ask for on data root ``root``, and the settings to hand the
    platform's Ray tasks (with the local key document in them, as the store's credentials).
    """
    if settings.kms_client:
        if not settings.kms_master_key_id:
            raise InvalidRequest("SANDBOX_KMS_CLIENT is set but SANDBOX_KMS_MASTER_KEY_ID is not")
        scheme = AtRest(
            root,
            settings.kms_client,
            settings.kms_master_key_id,
            kms_instance_id=settings.kms_instance_id,
            kms_instance_url=settings.kms_instance_url,
        )
        return scheme, settings
    text = settings.encryption_key.get_secret_value()
    try:
        if text:
            key_id, key = parse_key(text)
        else:
            key_id, key = load_or_create_key(settings.resolved_encryption_key_path())
    except (OSError, ValueError) as exc:
        raise InvalidRequest(f"the data encryption key cannot be used: {exc}") from exc
    document = json.dumps({"key_id": key_id, "key": key})
    carried = settings.model_copy(update={"encryption_key": SecretStr(document)})
    return AtRest(root, LOCAL_CLIENT, key_id, ((key_id, key),)), carried
