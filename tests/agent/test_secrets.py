"""A SAS, key or password never reaches a message or a log line."""

from __future__ import annotations

import logging

import pytest
from azure.storage.blob import BlobServiceClient

from cynare.agent.bootstrap import build_extractor, build_uploader
from cynare.agent.errors import StorageError
from cynare.agent.extract import Silent
from cynare.agent.redact import RedactingFilter, redact
from tests.agent.conftest import AS_AT, Workspace

FORGED = "sv=2025-01-05&sr=c&sp=c&se=2030-01-01T00%3A00%3A00Z&sig=Zm9yZ2VkLXNpZ25hdHVyZS1ub3QtcmVhbA%3D%3D"


def test_redact_masks_signatures_keys_and_passwords() -> None:
    text = redact(
        f"https://acct.blob.core.windows.net/inbound?{FORGED} "
        "AccountKey=abc123==;  mssql+pyodbc://agent:s3cret@pms/Practice"
    )
    assert "Zm9yZ2Vk" not in text and "abc123" not in text and "s3cret" not in text
    assert "sig=***" in text and "AccountKey=***" in text and "agent:***@pms" in text


def test_the_log_filter_masks_what_a_library_quotes() -> None:
    record = logging.LogRecord("azure", logging.WARNING, __file__, 1, "request to %s failed", (f"/x?{FORGED}",), None)
    RedactingFilter().filter(record)
    assert "Zm9yZ2Vk" not in record.getMessage()


@pytest.mark.azurite
def test_a_refused_sas_is_reported_without_the_sas(storage_workspace: Workspace, storage_connection: str) -> None:
    container = BlobServiceClient.from_connection_string(storage_connection).get_container_client("refusedsas")
    if not container.exists():
        container.create_container()
    storage_workspace.edit_config(
        'connection_string_env = "CYNARE_AGENT_STORAGE_CONNECTION"', f'inbound_sas_url = "{container.url}?{FORGED}"'
    )
    config = storage_workspace.config()
    state = storage_workspace.state()
    build_extractor(config, state, Silent()).extract_entity("US", as_at=AS_AT, full=False)
    with pytest.raises(StorageError) as raised:
        build_uploader(config, state).upload_waiting()
    message = str(raised.value)
    assert "HTTP 403" in message and "not allowed" in message
    assert "Zm9yZ2Vk" not in message and "sig=" not in message and "http" not in message.lower().replace("http 403", "")
