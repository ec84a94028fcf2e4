"""The nightly task as a firm installs it (`cynare-agent schedule`) and the pruning that follows each run."""

from __future__ import annotations

import configparser
import os
import shlex
import sqlite3
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from typer.testing import CliRunner

from cynare.agent.cli import app
from cynare.agent.prune import prune
from cynare.agent.schedule import (
    TASK_NAMESPACE,
    ScheduleRequest,
    TargetOS,
    files_for,
    parse_at,
    register_script,
    systemd_units,
    task_xml,
)
from cynare.agent.state import BatchRecord
from tests.agent.conftest import Workspace

runner = CliRunner()
NS = {"t": TASK_NAMESPACE}
WINDOWS_AGENT = r"C:\Program Files\Cynare Agent\venv\Scripts\cynare-agent.exe"
WINDOWS_CONFIG = r"C:\Cynare Agent\config files\cynare-agent.toml"
LINUX_AGENT = "/opt/cynare agent/venv/bin/cynare-agent"
LINUX_CONFIG = "/etc/cynare agent/100% cynare-agent.toml"


def windows(**changes: object) -> ScheduleRequest:
    fields: dict[str, object] = {"target": TargetOS.WINDOWS, "at": time(1, 0), "agent": WINDOWS_AGENT,
                                 "config": WINDOWS_CONFIG, "user": r"CORP\svc-cynare"}  # fmt: skip
    return ScheduleRequest(**{**fields, **changes})  # type: ignore[arg-type]


def linux(**changes: object) -> ScheduleRequest:
    fields: dict[str, object] = {"target": TargetOS.LINUX, "at": time(1, 0), "agent": LINUX_AGENT,
                                 "config": LINUX_CONFIG, "user": None}  # fmt: skip
    return ScheduleRequest(**{**fields, **changes})  # type: ignore[arg-type]


def parse(xml: str | bytes) -> ET.Element:
    """Our own output: a string starts with its UTF-16 declaration, which only bytes may carry."""
    text = xml.split("\n", 1)[1] if isinstance(xml, str) else xml
    return ET.fromstring(text)  # noqa: S314 - the XML is the code's own, not untrusted input


def windows_argv(command_line: str) -> list[str]:
    """Split a command line as the MS C runtime does, for the quoting used here (no escaped quotes)."""
    words, word, quoted, started = [], "", False, False
    for char in command_line:
        if char == '"':
            quoted, started = not quoted, True
        elif char == " " and not quoted:
            if started:
                words.append(word)
            word, started = "", False
        else:
            word, started = word + char, True
    if started:
        words.append(word)
    return words


def systemd(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False, delimiters=("=",), comment_prefixes=("#",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    return parser


def exec_start(service: str) -> list[str]:
    """ExecStart split as systemd splits it: shell-like quoting, then `%%` and `$$` back to one character."""
    words = shlex.split(systemd(service)["Service"]["ExecStart"])
    return [word.replace("%%", "%").replace("$$", "$") for word in words]


# Windows: Task Scheduler --------------------------------------------------------------------------


def test_the_task_runs_the_agent_with_its_configuration_every_day_at_the_hour() -> None:
    task = parse(task_xml(windows(at=time(1, 30))))
    assert task.findtext("t:Triggers/t:CalendarTrigger/t:StartBoundary", namespaces=NS).endswith("T01:30:00")
    assert task.findtext("t:Triggers/t:CalendarTrigger/t:ScheduleByDay/t:DaysInterval", namespaces=NS) == "1"
    command = task.findtext("t:Actions/t:Exec/t:Command", namespaces=NS)
    assert windows_argv(command) == [WINDOWS_AGENT]
    arguments = task.findtext("t:Actions/t:Exec/t:Arguments", namespaces=NS)
    assert windows_argv(arguments) == ["run", "--config", WINDOWS_CONFIG]
    assert arguments == r'run --config "C:\Cynare Agent\config files\cynare-agent.toml"'
    assert task.findtext("t:Actions/t:Exec/t:WorkingDirectory", namespaces=NS) == r"C:\Cynare Agent\config files"
    settings = task.find("t:Settings", NS)
    assert settings is not None
    assert settings.findtext("t:MultipleInstancesPolicy", namespaces=NS) == "IgnoreNew"  # never two at once
    assert settings.findtext("t:StartWhenAvailable", namespaces=NS) == "true"  # a missed night runs later
    principal = task.find("t:Principals/t:Principal", NS)
    assert principal is not None
    assert principal.findtext("t:UserId", namespaces=NS) == r"CORP\svc-cynare"
    assert principal.findtext("t:LogonType", namespaces=NS) == "Password"  # runs with nobody logged on


def test_the_powershell_registers_exactly_the_same_xml_and_quotes_what_it_is_given() -> None:
    request = windows(user="CORP\\o'brien")
    xml = task_xml(request)
    script = register_script(request, xml)
    embedded = script.split("$xml = @'\n", 1)[1].split("\n'@\n", 1)[0]
    assert embedded + "\n" == xml
    assert "-UserName 'CORP\\o''brien'" in script  # a quote in a name cannot end PowerShell's string
    assert "Register-ScheduledTask -TaskName 'Cynare Link agent' -Xml $xml" in script


def test_a_task_without_a_user_asks_for_one_when_registered() -> None:
    request = windows(user=None)
    task = parse(task_xml(request))
    assert task.find("t:Principals/t:Principal/t:UserId", NS) is None
    assert "Get-Credential -Message" in register_script(request, task_xml(request))


def test_a_path_without_spaces_is_left_unquoted() -> None:
    task = parse(task_xml(windows(agent=r"C:\Agent\cynare-agent.exe", config=r"C:\Agent\a.toml")))
    assert task.findtext("t:Actions/t:Exec/t:Command", namespaces=NS) == r"C:\Agent\cynare-agent.exe"
    assert task.findtext("t:Actions/t:Exec/t:Arguments", namespaces=NS) == r"run --config C:\Agent\a.toml"


# Linux: systemd ------------------------------------------------------------------------------------


def test_the_systemd_units_parse_and_run_the_agent_nightly() -> None:
    service, timer = systemd_units(linux(at=time(2, 5)))
    unit = systemd(service)
    assert unit["Service"]["Type"] == "oneshot"
    assert unit["Service"]["User"] == "cynare"
    assert unit["Service"]["EnvironmentFile"] == "/etc/cynare-agent.env"
    assert unit["Service"]["WorkingDirectory"] == "/etc/cynare agent"
    assert exec_start(service) == [LINUX_AGENT, "run", "--config", LINUX_CONFIG]
    schedule = systemd(timer)
    assert schedule["Timer"]["OnCalendar"] == "*-*-* 02:05:00"
    assert schedule["Timer"]["Persistent"] == "true"
    assert schedule["Timer"]["Unit"] == "cynare-agent.service"
    assert schedule["Install"]["WantedBy"] == "timers.target"


def test_systemd_specials_in_paths_stay_literal() -> None:
    service, _ = systemd_units(linux(agent="/opt/agent/bin/cynare-agent", config="/srv/$HOME/%n/a.toml"))
    line = systemd(service)["Service"]["ExecStart"]
    assert "$$HOME" in line and "%%n" in line  # systemd would expand $HOME and the unit-name specifier %n
    assert exec_start(service)[-1] == "/srv/$HOME/%n/a.toml"


def test_the_time_is_hours_and_minutes_on_the_24_hour_clock() -> None:
    assert parse_at("01:00") == time(1, 0)
    assert parse_at("23:59") == time(23, 59)
    for wrong in ("24:00", "1am", "1:00", "01:60", ""):
        with pytest.raises(ValueError, match="HH:MM"):
            parse_at(wrong)


# The command ---------------------------------------------------------------------------------------


def test_schedule_writes_the_windows_files_with_out(tmp_path: Path) -> None:
    result = runner.invoke(app, ["schedule", "--os", "windows", "--at", "00:45", "--config", WINDOWS_CONFIG,
                                 "--agent", WINDOWS_AGENT, "--out", str(tmp_path / "task")])  # fmt: skip
    if sys.platform == "win32":
        pytest.skip("the Windows paths above are another machine's only when written from Linux")
    assert result.exit_code == 0, result.output
    raw = (tmp_path / "task" / "cynare-agent-task.xml").read_bytes()
    assert raw.startswith(b"\xff\xfe")  # UTF-16 with its byte order mark, as Task Scheduler's import wants
    task = parse(raw)
    assert task.findtext("t:Triggers/t:CalendarTrigger/t:StartBoundary", namespaces=NS).endswith("T00:45:00")
    assert (tmp_path / "task" / "register-cynare-agent.ps1").read_text(encoding="utf-8-sig").startswith("# Registers")
    assert "powershell -ExecutionPolicy Bypass -File" in result.output


def test_schedule_prints_the_linux_units_for_this_machine(tmp_path: Path) -> None:
    if sys.platform == "win32":
        pytest.skip("Linux only")
    config = tmp_path / "my configs" / "cynare-agent.toml"
    config.parent.mkdir()
    config.write_text("", encoding="utf-8")
    agent = tmp_path / "bin" / "cynare-agent"
    agent.parent.mkdir()
    agent.write_text("#!/bin/sh\n", encoding="utf-8")
    result = runner.invoke(app, ["schedule", "--os", "linux", "--config", str(config), "--agent", str(agent)])
    assert result.exit_code == 0, result.output
    service, timer = result.output.split("# /etc/systemd/system/cynare-agent.timer")
    assert exec_start(service) == [str(agent), "run", "--config", str(config.resolve())]
    assert systemd("#" + timer)["Timer"]["OnCalendar"] == "*-*-* 01:00:00"


def test_schedule_refuses_what_it_cannot_use(tmp_path: Path) -> None:
    if sys.platform == "win32":
        pytest.skip("Linux only")
    missing = runner.invoke(app, ["schedule", "--os", "linux", "--config", str(tmp_path / "none.toml")])
    assert missing.exit_code == 2
    assert "cynare-agent init" in missing.output
    relative = runner.invoke(app, ["schedule", "--os", "windows", "--config", "cynare-agent.toml"])
    assert relative.exit_code == 2
    assert "give --agent and --config as full paths" in relative.output
    config = tmp_path / "a.toml"
    config.write_text("", encoding="utf-8")
    late = runner.invoke(app, ["schedule", "--os", "linux", "--config", str(config), "--agent", "/x", "--at", "25:00"])
    assert late.exit_code == 2
    assert "HH:MM" in late.output


def test_every_target_has_its_files() -> None:
    assert [f.name for f in files_for(windows())] == ["cynare-agent-task.xml", "register-cynare-agent.ps1"]
    assert [f.name for f in files_for(linux())] == ["cynare-agent.service", "cynare-agent.timer"]


# Pruning ---------------------------------------------------------------------------------------------

NOW = datetime(2026, 12, 31, 2, 0, tzinfo=UTC)


def _batch(work: Path, entity: str, batch_id: str, uploaded_days_ago: int | None) -> BatchRecord:
    folder = work / "batches" / entity / batch_id
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text("{}", encoding="utf-8")
    uploaded = None if uploaded_days_ago is None else (NOW - timedelta(days=uploaded_days_ago)).isoformat()
    return BatchRecord(entity, batch_id, folder, 10, "2026-01-01T00:00:00+00:00", uploaded)


def test_prune_removes_only_uploaded_batches_older_than_the_setting_and_never_the_newest(tmp_path: Path) -> None:
    records = [
        _batch(tmp_path, "UK", "UK-old", 40),  # uploaded 40 days ago: goes
        _batch(tmp_path, "UK", "UK-waiting", None),  # never uploaded: stays, however old
        _batch(tmp_path, "UK", "UK-recent", 5),  # uploaded 5 days ago: stays
        _batch(tmp_path, "UK", "UK-newest", 60),  # the entity's newest: stays, however old
        _batch(tmp_path, "IE", "IE-only", 90),  # IE's only batch is its newest: stays
    ]
    building = tmp_path / "batches" / "UK" / ".building-1234"
    building.mkdir()
    stranger = tmp_path / "batches" / "UK" / "not-a-batch"
    stranger.mkdir()
    pruned = prune(tmp_path, records, keep_days=30, now=NOW)
    assert pruned.batches == [(tmp_path / "batches" / "UK" / "UK-old").resolve()]
    assert not (tmp_path / "batches" / "UK" / "UK-old").exists()
    for kept in ("UK/UK-waiting", "UK/UK-recent", "UK/UK-newest", "IE/IE-only", "UK/.building-1234", "UK/not-a-batch"):
        assert (tmp_path / "batches" / kept).is_dir(), kept


def test_prune_never_reaches_outside_the_work_folder(tmp_path: Path) -> None:
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    outside = _batch(elsewhere, "UK", "UK-1", 90)  # a state restored from another machine names such folders
    target = elsewhere / "batches" / "UK" / "UK-2"
    target.mkdir(parents=True)
    (target / "precious.csv").write_text("x", encoding="utf-8")
    (work / "batches" / "UK").mkdir(parents=True)
    (work / "batches" / "UK" / "UK-2").symlink_to(target, target_is_directory=True)
    linked = BatchRecord("UK", "UK-2", work / "batches" / "UK" / "UK-2", 1, "", (NOW - timedelta(days=90)).isoformat())
    newest = _batch(work, "UK", "UK-3", 1)
    pruned = prune(work, [outside, linked, newest], keep_days=30, now=NOW)
    assert pruned.batches == []
    assert (elsewhere / "batches" / "UK" / "UK-1").is_dir()
    assert (target / "precious.csv").is_file()
    assert len(pruned.kept) == 2 and all("left alone" in reason for reason in pruned.kept)


def test_prune_removes_old_daily_logs_only(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    names = ["cynare-agent-20261101.log", "cynare-agent-20261215.log", "cynare-agent-20261231.log",
             "cynare-agent-2026.log", "notes.log", "cynare-agent-20261399.log"]  # fmt: skip
    for name in names:
        (logs / name).write_text("x", encoding="utf-8")
    pruned = prune(tmp_path, [], keep_days=30, now=NOW)
    assert [path.name for path in pruned.logs] == ["cynare-agent-20261101.log"]
    assert sorted(path.name for path in logs.iterdir()) == sorted(names[1:])


def test_prune_keeps_everything_with_zero_days_and_deletes_nothing_on_a_dry_run(tmp_path: Path) -> None:
    records = [_batch(tmp_path, "UK", "UK-1", 400), _batch(tmp_path, "UK", "UK-2", 400)]
    assert prune(tmp_path, records, keep_days=0, now=NOW).batches == []
    dry = prune(tmp_path, records, keep_days=30, now=NOW, dry_run=True)
    assert [path.name for path in dry.batches] == ["UK-1"]
    assert (tmp_path / "batches" / "UK" / "UK-1").is_dir()


def test_the_prune_command_uses_the_state_and_the_setting(workspace: Workspace) -> None:
    config = workspace.config()
    state = workspace.state()
    work = config.work_folder
    for batch_id in ("UK-1", "UK-2"):
        record = BatchRecord("UK", batch_id, work / "batches" / "UK" / batch_id, 1, "2026-01-01T00:00:00+00:00", None)
        record.folder.mkdir(parents=True)
        state.record_batch(record, {}, {}, sequence=int(batch_id[-1]))
        state.mark_uploaded("UK", batch_id)
    state.close()
    with sqlite3.connect(work / "state.sqlite") as db:  # uploaded a year ago
        db.execute("UPDATE batches SET uploaded_at = '2025-01-01T00:00:00+00:00'")
    (work / "logs").mkdir(exist_ok=True)
    (work / "logs" / "cynare-agent-20250101.log").write_text("old", encoding="utf-8")
    assert config.agent.keep_days == 30  # the default, as `init` writes it
    result = runner.invoke(app, ["prune", "--config", str(workspace.config_path)])
    assert result.exit_code == 0, result.output
    assert "removed 1 uploaded batch folder(s) and 1 log file(s) older than 30 day(s)" in result.output
    assert not (work / "batches" / "UK" / "UK-1").exists()
    assert (work / "batches" / "UK" / "UK-2").is_dir()  # UK's newest
    assert (work / "state.sqlite").is_file()


def test_keep_days_is_in_the_template(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    assert runner.invoke(app, ["init", str(path)]).exit_code == 0
    assert "keep_days = 30" in path.read_text(encoding="utf-8")
    assert os.path.getsize(path) > 0
