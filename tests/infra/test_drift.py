"""The Bicep and the code cannot drift apart: every setting the code reads is set by the Bicep, and every
container, queue and table the code uses is created by it. Each side is read from its source: the code's
settings from cynare.bootstrap.SETTINGS, the function bindings and the environment reads in the cloud code;
its storage names from bootstrap itself, run against recording clients."""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient, ContainerClient
from azure.storage.queue import QueueClient

from cynare.agent.config import StorageSection
from cynare.bootstrap import SETTINGS, AppSettings, bootstrap
from tests.infra.bicep import INFRA, object_entries, params, text

ROOT = INFRA.parent
# Code that never runs in Azure: the agent, the local stand-ins, the demo and the local hosts.
NOT_CLOUD = ("cynare/agent/", "cynare/sandbox/", "cynare/entrypoints/demo", "cynare/entrypoints/local_")
ENV_READ = re.compile(r"""(?:environ(?:\.get)?\s*[(\[]|getenv\()\s*["']([A-Za-z_][A-Za-z0-9_]*)["']""")
# Set by App Service itself, never by a template.
PLATFORM_PREFIX = "WEBSITE_"
# What the Bicep sets that no code of ours reads: the Functions host and the telemetry library do.
HOST_SETTINGS = {
    "AzureWebJobsStorage__credential": "the host signs in to its storage with the app's identity",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "telemetry is sent with the app's identity (local auth is off)",
}
# Read by the code, and only meaningful on a developer's machine: set off in Azure.
DEVELOPMENT_ONLY = {"CYNARE_PAGES_DEV_SIGN_IN": "'off'"}
SECRETS = {
    "CYNARE_TOKEN_KEY": "cynare-token-key",
    "CYNARE_TEAMS_WEBHOOK_URL": "teams-webhook-url",
    "CYNARE_GRAPH_CLIENT_SECRET": "graph-client-secret",
    "CYNARE_XERO_CLIENT_SECRET": "xero-app-client-secret",
}


def cloud_sources() -> Iterator[Path]:
    for path in sorted((ROOT / "cynare").rglob("*.py")):
        if not path.relative_to(ROOT).as_posix().startswith(NOT_CLOUD):
            yield path


@cache
def function_bindings() -> list[dict[str, Any]]:
    """Every binding of the Functions app, from a copy of function_app.py of our own: an app lists its
    functions once, and other tests may have asked the imported one already."""
    spec = importlib.util.spec_from_file_location("function_app_as_deployed", ROOT / "function_app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [binding.get_dict_repr() for fn in module.app.get_functions() for binding in fn.get_bindings()]


def code_settings() -> set[str]:
    names = set(SETTINGS)
    for path in cloud_sources():
        names |= {name for name in ENV_READ.findall(path.read_text(encoding="utf-8"))
                  if not name.startswith(PLATFORM_PREFIX)}  # fmt: skip
    for binding in function_bindings():
        for value in (binding.get("schedule"), binding.get("queueName"), binding.get("route")):
            names |= set(re.findall(r"%([A-Za-z_][A-Za-z0-9_]*)%", value or ""))
        if binding.get("connection"):
            # An identity-based connection: the account's name under the connection's own prefix.
            names.add(f"{binding['connection']}__accountName")
    return names


@pytest.fixture(scope="module")
def bicep_settings() -> dict[str, str]:
    return object_entries("modules/app-settings.bicep", "appSettings")


def test_every_setting_the_code_reads_is_set_by_the_bicep(bicep_settings: dict[str, str]) -> None:
    missing = sorted(code_settings() - set(bicep_settings))
    assert missing == [], f"set these in infra/modules/app-settings.bicep (appSettings): {missing}"
    assert "APPLICATIONINSIGHTS_CONNECTION_STRING" in code_settings()  # found in telemetry.py, not in SETTINGS


def test_the_bicep_sets_nothing_the_code_does_not_read(bicep_settings: dict[str, str]) -> None:
    extra = sorted(set(bicep_settings) - code_settings() - set(HOST_SETTINGS))
    assert extra == [], f"no code reads these: remove them from app-settings.bicep or say why here: {extra}"


def test_settings_only_for_a_developer_are_off_in_azure(bicep_settings: dict[str, str]) -> None:
    from cynare.presentation.pages.dev_sign_in import SETTING

    assert SETTING in DEVELOPMENT_ONLY
    for name, value in DEVELOPMENT_ONLY.items():
        assert bicep_settings[name] == value
    assert bicep_settings["CYNARE_STORAGE_CONNECTION"] == "''"  # a connection string would bypass the identity
    assert bicep_settings["CYNARE_XERO_URL"] == "''" and bicep_settings["CYNARE_GRAPH_URL"] == "''"


def test_secrets_come_from_key_vault_references_to_secrets_the_vault_holds(bicep_settings: dict[str, str]) -> None:
    vault = text("modules/keyvault.bicep")
    for setting, secret in SECRETS.items():
        assert f"@Microsoft.KeyVault(SecretUri=${{secrets}}/{secret}/)" in bicep_settings[setting], setting
        assert f"name: '{secret}'" in vault, secret
    assert "'@Microsoft.KeyVault" not in text("main.bicep")  # no secret value or reference outside the settings


# Storage --------------------------------------------------------------------------------------------


def names() -> dict[str, Any]:
    return json.loads((INFRA / "names.json").read_text(encoding="utf-8"))


def bicep_storage(prefix: str) -> tuple[set[str], set[str], set[str]]:
    declared = names()
    containers = {name.replace("{prefix}", prefix) for name in declared["containers"].values()}
    return containers, set(declared["queues"]), {f"{prefix}{table}" for table in declared["tables"]}


def code_storage() -> tuple[set[str], set[str], set[str]]:
    """The containers, queues and tables the app's bootstrap opens, recorded instead of created."""
    containers: set[str] = set()
    tables: set[str] = set()
    queues: set[str] = set()
    open_container = BlobServiceClient.get_container_client

    def record_container(self: BlobServiceClient, container: Any) -> ContainerClient:
        containers.add(container if isinstance(container, str) else container.name)
        return open_container(self, container)

    with (
        mock.patch.object(BlobServiceClient, "get_container_client", record_container),
        mock.patch.object(ContainerClient, "exists", lambda self, **kw: True),
        mock.patch.object(ContainerClient, "create_container", lambda self, **kw: None),
        mock.patch.object(TableServiceClient, "create_table", lambda self, name, **kw: tables.add(name)),
        mock.patch.object(QueueClient, "create_queue", lambda self, **kw: queues.add(self.queue_name)),
    ):
        bootstrap(AppSettings.from_env({"CYNARE_STORAGE_CONNECTION": "UseDevelopmentStorage=true"}))
    queues |= {binding["queueName"] for binding in function_bindings() if binding.get("queueName")}
    return containers, queues, tables


def test_every_container_queue_and_table_the_code_uses_is_created_by_the_bicep() -> None:
    prefix = params("main.bicep")["tablePrefix"]
    assert prefix == "'cynare'"  # the code's default, CYNARE_TABLE_PREFIX
    created = bicep_storage("cynare")
    used = code_storage()
    for kind, made, needed in zip(("containers", "queues", "tables"), created, used, strict=True):
        assert needed, kind  # the recording saw the code open them
        assert sorted(needed - made) == [], f"add these {kind} to infra/names.json"
    assert names()["containers"]["deployment"] in created[0]  # the app's code package, Flex Consumption's


def test_main_bicep_creates_what_names_json_lists() -> None:
    main = text("main.bicep")
    storage = text("modules/storage.bicep")
    assert "loadJsonContent('names.json')" in main
    assert "containerNames: containerNames" in main and "queueNames: names.queues" in main
    assert "tableNames: tableNames" in main
    for loop in ("[for container in containerNames:", "[for queue in queueNames:", "[for table in tableNames:"):
        assert loop in storage, loop


def test_the_agent_may_create_in_inbound_and_read_list_delete_in_writeback_and_nothing_else() -> None:
    declared = names()["containers"]
    defaults = StorageSection()
    assert (defaults.inbound_container, defaults.writeback_container) == (declared["inbound"], declared["writeback"])
    roles = text("modules/agent-roles.bicep")
    actions = re.findall(r"dataActions: \[(.*?)\]", roles)
    assert actions == ["'${blobActions}/add/action'", "'${blobActions}/read', '${blobActions}/delete'"]
    assert re.findall(r"actions: \[\]", roles) == ["actions: []", "actions: []"]  # no management rights at all
    assert "scope: inbound\n" in roles and "scope: writeback\n" in roles  # each on its one container


def test_the_storage_account_is_locked_down_and_keeps_what_is_uploaded() -> None:
    storage = text("modules/storage.bicep")
    for line in ("allowSharedKeyAccess: false", "allowBlobPublicAccess: false", "minimumTlsVersion: 'TLS1_2'",
                 "isVersioningEnabled: true", "publicAccess: 'None'",
                 "deleteRetentionPolicy: { enabled: true, days: deletedRetentionDays }",
                 "baseBlob: { delete: { daysAfterModificationGreaterThan: batchRetentionDays } }"):  # fmt: skip
        assert line in storage, line


# Parameters -----------------------------------------------------------------------------------------


def test_the_example_parameters_give_what_main_bicep_needs_and_nothing_it_does_not_know() -> None:
    declared = params("main.bicep")
    example = set(re.findall(r"^param\s+(\w+)\s*=", text("example.bicepparam"), re.MULTILINE))
    assert "using 'main.bicep'" in text("example.bicepparam")
    assert sorted(example - set(declared)) == []
    required = {name for name, default in declared.items() if default is None}
    assert sorted(required - example) == []
    assert "tokenKey = readEnvironmentVariable(" in text("example.bicepparam")  # never a secret in the file
