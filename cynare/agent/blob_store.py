"""Adapter: one Blob Storage container through azure-storage-blob.

Built from a container SAS URL, a connection string (local emulator), or an account URL with an
azure-identity credential (a service principal's certificate), as credentials.py reads and checks
them. Errors leave here as the agent's own exceptions whose messages name the blob and the
failure's kind, never a URL or a key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.storage.blob import BlobServiceClient, ContainerClient

from cynare.agent.config import AgentConfig, ConfigError
from cynare.agent.credentials import (
    ConnectionStringCredential,
    Container,
    IdentityCredential,
    SasCredential,
    container_credential,
)
from cynare.agent.errors import (
    AgentError,
    BlobChanged,
    BlobExists,
    CannotRead,
    CreateRefused,
    StorageError,
    TransientStorageError,
)
from cynare.agent.redact import redact

_SDK_OPTIONS: dict[str, Any] = {"retry_total": 2, "connection_timeout": 20, "read_timeout": 120}


def _translate(exc: AzureError, what: str) -> AgentError:
    status = getattr(exc, "status_code", None)
    code = getattr(exc, "error_code", None) or type(exc).__name__
    detail = f"{what}: {code}" + (f" (HTTP {status})" if status else "")
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return TransientStorageError(f"{what}: the storage service could not be reached ({type(exc).__name__})")
    if isinstance(exc, ClientAuthenticationError) or status in (401, 403):
        return StorageError(f"{detail}: the credential is not allowed to do this; check its permissions and expiry")
    if isinstance(exc, HttpResponseError) and (status is None or status >= 500 or status in (408, 429)):
        return TransientStorageError(detail)
    return StorageError(redact(detail))


@dataclass(frozen=True, slots=True)
class Downloaded:
    data: bytes
    etag: str | None  # the version read: a delete made on condition of it spares a newer one


class ContainerStore:
    def __init__(self, container: ContainerClient) -> None:
        self._container = container

    @property
    def name(self) -> str:
        return str(self._container.container_name)

    def ensure_exists(self) -> None:
        """Create the container if missing (the local emulator); in Azure the deployment creates it."""
        try:
            if not self._container.exists():
                self._container.create_container()
        except ResourceExistsError:
            pass
        except AzureError as exc:
            raise _translate(exc, f"container {self.name}") from None

    def sha256_of(self, blob: str) -> str | None:
        """The sha256 recorded on the blob ('' when it has none), or None when the blob is not there."""
        try:
            properties = self._container.get_blob_client(blob).get_blob_properties()
        except ResourceNotFoundError:
            return None
        except HttpResponseError as exc:
            if exc.status_code == 403:
                raise CannotRead(f"{self.name}/{blob}: not allowed to read properties") from None
            raise _translate(exc, f"{self.name}/{blob}") from None
        except AzureError as exc:
            raise _translate(exc, f"{self.name}/{blob}") from None
        return str((properties.metadata or {}).get("sha256", ""))

    def upload_file(self, blob: str, path: Path, sha256: str) -> None:
        with path.open("rb") as stream:
            self._upload(blob, stream, sha256, path.stat().st_size)

    def upload_bytes(self, blob: str, data: bytes, sha256: str) -> None:
        self._upload(blob, data, sha256, len(data))

    def _upload(self, blob: str, data: Any, sha256: str, length: int) -> None:
        try:
            self._container.upload_blob(
                blob, data, length=length, overwrite=False, metadata={"sha256": sha256}, max_concurrency=2
            )
        except ResourceExistsError:
            raise BlobExists(f"{self.name}/{blob} already exists") from None
        except HttpResponseError as exc:
            if exc.status_code == 403 and getattr(exc, "error_code", None) == "AuthorizationPermissionMismatch":
                # What a create-only SAS answers for a blob that exists, and any SAS without create.
                raise CreateRefused(
                    f"upload {self.name}/{blob}: AuthorizationPermissionMismatch (HTTP 403): the credential is not "
                    "allowed to create this blob; check its permissions (create) and expiry"
                ) from None
            raise _translate(exc, f"upload {self.name}/{blob}") from None
        except AzureError as exc:
            raise _translate(exc, f"upload {self.name}/{blob}") from None

    def list(self, prefix: str) -> Iterator[str]:
        try:
            names = [blob.name for blob in self._container.list_blobs(name_starts_with=prefix)]
        except AzureError as exc:
            raise _translate(exc, f"list {self.name}/{prefix}") from None
        yield from names

    def download(self, blob: str) -> Downloaded:
        try:
            stream = self._container.download_blob(blob)
            return Downloaded(bytes(stream.readall()), getattr(stream.properties, "etag", None))
        except AzureError as exc:
            raise _translate(exc, f"download {self.name}/{blob}") from None

    def delete(self, blob: str, etag: str | None = None) -> None:
        """Delete the blob (only the version `etag` when given: BlobChanged when it was replaced since)."""
        conditions: dict[str, Any] = {}
        if etag:
            conditions = {"etag": etag, "match_condition": MatchConditions.IfNotModified}
        try:
            self._container.delete_blob(blob, **conditions)
        except ResourceNotFoundError:
            pass
        except ResourceModifiedError:
            raise BlobChanged(f"{self.name}/{blob} was replaced after it was read") from None
        except HttpResponseError as exc:
            if exc.status_code == 412:
                raise BlobChanged(f"{self.name}/{blob} was replaced after it was read") from None
            raise _translate(exc, f"delete {self.name}/{blob}") from None
        except AzureError as exc:
            raise _translate(exc, f"delete {self.name}/{blob}") from None


def open_container(config: AgentConfig, which: Container) -> ContainerStore:
    """`which` is "inbound" or "writeback"; the container name comes from the configuration."""
    storage = config.storage
    name = storage.inbound_container if which == "inbound" else storage.writeback_container
    credential = container_credential(config, which)
    try:
        if isinstance(credential, SasCredential):
            return ContainerStore(ContainerClient.from_container_url(credential.container_url, **_SDK_OPTIONS))
        if isinstance(credential, ConnectionStringCredential):
            service = BlobServiceClient.from_connection_string(credential.value, **_SDK_OPTIONS)
            return ContainerStore(service.get_container_client(name))
        assert isinstance(credential, IdentityCredential)
        service = BlobServiceClient(credential.account_url, credential=_credential(config), **_SDK_OPTIONS)
        return ContainerStore(service.get_container_client(name))
    except (ValueError, TypeError):  # what the library still refuses; its message may quote the value
        raise ConfigError(
            f"{credential.setting}: the storage library cannot use this value for the {which} container "
            f"({name}); check it against docs/agent.md (Configure, [storage])"
        ) from None


def _credential(config: AgentConfig) -> Any:
    storage = config.storage
    if storage.tenant_id and storage.client_id and storage.certificate_path:
        from azure.identity import CertificateCredential

        path = config.resolve(storage.certificate_path)
        try:
            return CertificateCredential(storage.tenant_id, storage.client_id, certificate_path=str(path))
        except (OSError, ValueError, TypeError):
            raise ConfigError(
                f"storage.certificate_path: the certificate {path} cannot be read or is not a PEM or PKCS12 "
                "certificate with its private key; export the service principal's certificate with its key"
            ) from None
    if storage.tenant_id and storage.client_id and storage.client_secret:
        from azure.identity import ClientSecretCredential

        return ClientSecretCredential(storage.tenant_id, storage.client_id, storage.client_secret)
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()
