"""`cynare-agent check`: is the configuration usable, can the agent reach the PMS and storage?

Findings are plain sentences a firm's IT admin can act on: a problem stops the agent, a warning
is something to fix when convenient (a secret written in the configuration file, a code the
mappings lack). `check` changes nothing: it reads a few rows of every dataset of every entity
(check_rows.py) and proves each storage credential with a probe blob (check_storage.py).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from cynare.agent.config import AgentConfig, SqlSource
from cynare.agent.errors import AgentError

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
    """Connect, then read every dataset of every entity (a few rows each) and hold them to the rules."""
    from cynare.agent.bootstrap import build_source
    from cynare.agent.check_rows import SAMPLE_ROWS, check_rows

    try:
        source = build_source(config)
        problems = source.check()
    except AgentError as exc:
        return [Finding("problem", str(exc))]
    findings = [Finding("problem", problem) for problem in problems] + stray_query_files(config)
    if problems:
        return findings
    entities = config.agent.entities
    try:
        findings += check_rows(source, entities, datetime.now(UTC).date())
    finally:
        dispose = getattr(source, "dispose", None)
        if dispose is not None:
            dispose()
    if not any(finding.level == "problem" for finding in findings):
        findings.insert(
            0,
            Finding(
                "ok",
                f"PMS source reachable; every dataset's columns are right and their first {SAMPLE_ROWS} rows follow "
                f"the rules (entities {', '.join(entities)})",
            ),
        )
    return findings


def stray_query_files(config: AgentConfig) -> list[Finding]:
    """A query file not named after a dataset is never read: most likely a typo in its name."""
    from cynare.extract.datasets import DATASETS

    source = config.source
    if not isinstance(source, SqlSource) or not config.resolve(source.queries).is_dir():
        return []
    queries = config.resolve(source.queries)
    listing = ", ".join(DATASETS)
    return [
        Finding("warning", f"query file {path} is not named after a dataset, so it is never read (datasets: {listing})")
        for path in sorted(queries.glob("*.sql"))
        if path.stem not in DATASETS
    ]


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
    from cynare.agent.check_storage import check_storage

    findings = plain_secret_warnings(config) + missing_environment(config)
    if any(finding.level == "problem" for finding in findings):
        return findings
    findings += check_source(config) + check_writeback(config)
    if storage:
        findings += check_storage(config)
    return findings
