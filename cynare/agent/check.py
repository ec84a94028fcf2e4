"""`cynare-agent check`: is the configuration usable, can the agent reach the PMS and storage?

Findings are plain sentences a firm's IT admin can act on: a problem stops the agent, a warning
is something to fix when convenient (a secret written in the configuration file).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from cynare.agent.config import AgentConfig, SqlSource
from cynare.agent.errors import AgentError, CannotRead

Level = Literal["ok", "warning", "problem"]
_PASSWORD_IN_URL = re.compile(r"://[^/:@\s]+:[^@\s]+@")


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    message: str


def plain_secret_warnings(config: AgentConfig) -> list[Finding]:
    storage = config.storage
    warnings = []
    safer = {
        "inbound_sas_url": "inbound_sas_url_env (an environment variable)",
        "writeback_sas_url": "writeback_sas_url_env (an environment variable)",
        "connection_string": "connection_string_env (an environment variable)",
        "client_secret": "certificate_path (a certificate file for the service principal)",
    }
    for name, option in safer.items():
        if getattr(storage, name):
            warnings.append(
                Finding(
                    "warning",
                    f"storage.{name} is a secret written in plain text in {config.path.name}; use {option} instead",
                )
            )
    source = config.source
    if isinstance(source, SqlSource) and source.url and _PASSWORD_IN_URL.search(source.url):
        warnings.append(
            Finding("warning", "source.url contains a database password in plain text; put the URL in an environment variable and use source.url_env")
        )  # fmt: skip
    return warnings


def missing_environment(config: AgentConfig) -> list[Finding]:
    names = {
        "source.url_env": getattr(config.source, "url_env", None),
        "storage.inbound_sas_url_env": config.storage.inbound_sas_url_env,
        "storage.writeback_sas_url_env": config.storage.writeback_sas_url_env,
        "storage.connection_string_env": config.storage.connection_string_env,
    }
    return [
        Finding("problem", f"{option} names the environment variable {variable}, which is not set for this account")
        for option, variable in names.items()
        if variable and not os.environ.get(variable)
    ]


def check_source(config: AgentConfig) -> list[Finding]:
    from cynare.agent.bootstrap import build_source
    from cynare.agent.columns import RowShape
    from cynare.extract.datasets import DATASETS

    try:
        source = build_source(config)
        problems = source.check()
        if problems:
            return [Finding("problem", problem) for problem in problems]
        entity = config.agent.entities[0]
        with source.session(entity) as session:
            for name in source.datasets():
                stream = session.read(name, None, datetime.now(UTC).date())
                if stream is not None:
                    RowShape(DATASETS[name], stream.names, stream.origin)
    except AgentError as exc:
        return [Finding("problem", str(exc))]
    return [Finding("ok", f"PMS source reachable; every dataset's columns are right (checked for entity {entity})")]


def check_storage(config: AgentConfig) -> list[Finding]:
    from cynare.agent.bootstrap import inbound, writeback_inbox

    findings = []
    try:
        store = inbound(config)
        try:
            store.sha256_of("_acks/.cynare-agent-check")
            findings.append(Finding("ok", f"storage container {store.name} reachable"))
        except CannotRead:
            findings.append(Finding("ok", f"storage container {store.name} reachable (create-only, as expected)"))
        if config.writeback.mode != "off":
            box = writeback_inbox(config)
            waiting = sum(len(list(box.list(f"{entity}/"))) for entity in config.agent.entities)
            findings.append(Finding("ok", f"storage container {box.name} reachable: {waiting} write-back(s) waiting"))
    except AgentError as exc:
        findings.append(Finding("problem", str(exc)))
    return findings


def check_writeback(config: AgentConfig) -> list[Finding]:
    if config.writeback.mode != "sql":
        return []
    from cynare.agent.writeback_sql import statement_problems

    if not isinstance(config.source, SqlSource):
        return [Finding("problem", 'writeback.mode = "sql" needs a SQL source; use mode = "csv" with export files')]
    problems = statement_problems(config.writeback.sql)
    if not config.writeback.sql.already_applied:
        problems.append(
            "writeback.sql.already_applied is not set: if the agent's state were lost, a document could be applied twice"
        )
    return [Finding("warning", problem) for problem in problems]


def run_checks(config: AgentConfig, *, storage: bool = True) -> list[Finding]:
    findings = plain_secret_warnings(config) + missing_environment(config)
    if any(finding.level == "problem" for finding in findings):
        return findings
    findings += check_source(config) + check_writeback(config)
    if storage:
        findings += check_storage(config)
    return findings
