"""The agent as a Python call, for the demo and for tests: what `cynare-agent run` does, without a shell."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from cynare.agent.bootstrap import build_extractor, build_uploader, build_writeback, open_state
from cynare.agent.config import load_config
from cynare.agent.extract import EntityOutcome, Progress, Silent
from cynare.agent.logs import start_log
from cynare.agent.run_lock import run_lock
from cynare.agent.upload import UploadOutcome
from cynare.agent.writeback import WritebackOutcome


@dataclass
class RunReport:
    extracted: list[EntityOutcome] = field(default_factory=list)
    uploaded: list[UploadOutcome] = field(default_factory=list)
    written_back: list[WritebackOutcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def run_agent(
    config_path: Path, *, as_at: date | None = None, full: bool = False, writeback: bool = True,
    progress: Progress | None = None,
) -> RunReport:  # fmt: skip
    """Extract, upload and (unless told not to) apply write-backs; raises AgentError on a stop."""
    config = load_config(config_path)
    start_log(config.work_folder / "logs", "run")
    state = open_state(config)
    run_id = state.start_run("run")
    report = RunReport()
    try:
        with run_lock(config.work_folder):
            extractor = build_extractor(config, state, progress or Silent())
            report.extracted = extractor.run(config.agent.entities, as_at=as_at or datetime.now(UTC).date(), full=full)
            report.uploaded = build_uploader(config, state).upload_waiting()
            if writeback and config.writeback.mode != "off":
                report.written_back, report.problems = build_writeback(config, state).run(config.agent.entities)
    except Exception as exc:
        state.finish_run(run_id, "failed", str(exc))
        raise
    else:
        state.finish_run(run_id, "failed" if report.problems else "ok", "; ".join(report.problems))
    finally:
        state.close()
    return report
