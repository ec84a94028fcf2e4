"""`check` proves each storage credential can do what the agent needs, and leaves nothing behind.

inbound: the agent creates blobs (batches, acknowledgements). The probe creates an empty blob
under `_agent-check/` (Cynare Link reads only `{entity}/{batch}/` and `_acks/`, so it ignores the
probe) and deletes it; a create-only SAS may not delete, so the probe is then left and named.

writeback: the agent lists, reads and deletes. The probe creates a blob when the credential may
(a connection string, a service principal) and lists, reads and deletes it; the recommended SAS
may not create, so it reads and deletes a name that is not there: storage checks the permission
before it looks for the blob (403 refused, 404 allowed).
"""

from __future__ import annotations

import urllib.request
from urllib.parse import urlsplit, urlunsplit

from cynare.agent.blob_store import ContainerStore
from cynare.agent.check import Finding
from cynare.agent.config import AgentConfig
from cynare.agent.create_once import EMPTY_SHA256 as _EMPTY_SHA256
from cynare.agent.create_once import PROBE_FOLDER, probe_name
from cynare.agent.errors import AgentError, CannotRead, StorageError

__all__ = ["PROBE_FOLDER", "check_storage", "probe_inbound", "probe_writeback", "proxy_finding"]


def check_storage(config: AgentConfig) -> list[Finding]:
    from cynare.agent.bootstrap import inbound, writeback_inbox

    findings: list[Finding] = [proxy_finding()]
    try:
        findings.append(probe_inbound(inbound(config)))
    except AgentError as exc:
        findings.append(Finding("problem", f"storage container {config.storage.inbound_container}: {exc}"))
    if config.writeback.mode != "off":
        try:
            box = writeback_inbox(config)
            findings += probe_writeback(box)
            if not any(finding.level == "problem" for finding in findings):
                waiting = sum(len(list(box.list(f"{entity}/"))) for entity in config.agent.entities)
                findings.append(Finding("ok", f"storage container {box.name}: {waiting} write-back(s) waiting"))
        except AgentError as exc:
            findings.append(Finding("problem", f"storage container {config.storage.writeback_container}: {exc}"))
    return findings


def proxy_finding() -> Finding:
    """Whether storage is reached through a proxy: the storage library honours HTTPS_PROXY and NO_PROXY, as
    set for the account the agent runs as. A password in the proxy's address is never shown."""
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get("https", "")
    if not proxy:
        return Finding("ok", "proxy: none set (HTTPS_PROXY), storage is reached directly")
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    host = parts.hostname or ""
    shown = urlunsplit(parts._replace(netloc=f"{host}:{parts.port}" if parts.port else host))
    bypass = proxies.get("no", "")
    return Finding("ok", f"proxy: storage is reached through {shown} (HTTPS_PROXY)"
                   + (f", except for {bypass} (NO_PROXY)" if bypass else ""))  # fmt: skip


def probe_inbound(store: ContainerStore) -> Finding:
    name = probe_name()
    try:
        store.upload_bytes(name, b"", _EMPTY_SHA256)
    except AgentError as exc:
        return Finding(
            "problem", f"storage container {store.name}: the credential cannot create blobs, which uploads need: {exc}"
        )
    try:
        store.delete(name)
    except StorageError:
        return Finding(
            "ok",
            f"storage container {store.name}: the credential can create blobs (the upload's permission); it may "
            f"not delete, as expected of a create-only SAS, so the empty probe blob {name} was left there: Cynare "
            "Link ignores it, and it may be deleted at any time",
        )
    return Finding("ok", f"storage container {store.name}: the credential can create blobs (probe created and deleted)")


def probe_writeback(store: ContainerStore) -> list[Finding]:
    name = probe_name()
    try:
        store.upload_bytes(name, b"", _EMPTY_SHA256)
        created = True
    except StorageError:  # the recommended SAS (read, list, delete) may not create: probe a name not there
        created = False
    refused: list[str] = []
    try:
        store.sha256_of(name)
    except CannotRead:
        refused.append("read")
    try:
        listed = list(store.list(f"{PROBE_FOLDER}/"))
        if created and name not in listed:
            refused.append("list (the probe blob was not listed)")
    except StorageError as exc:
        refused.append(f"list ({exc})")
    try:
        store.delete(name)
    except StorageError as exc:
        refused.append(f"delete ({exc})")
    if refused:
        left = f"; the probe blob {name} was left there (it may be deleted at any time)" if created else ""
        return [
            Finding(
                "problem",
                f"storage container {store.name}: the credential may not {', '.join(refused)}, which write-back "
                f"needs (read, list and delete): ask for a credential with those permissions{left}",
            )
        ]
    return [Finding("ok", f"storage container {store.name}: the credential can list, read and delete blobs")]
