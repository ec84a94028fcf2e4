"""`cynare-agent schedule`: the nightly task for the PMS server, as Windows or systemd wants it.

Windows gets a Task Scheduler XML and a PowerShell script that registers it (the script carries
the same XML, so the two never differ); Linux gets a systemd service and its timer. Each runs
`cynare-agent run --config <file>` once a day at the firm's local time, never twice at once, and
catches up a run missed while the server was off. Paths are quoted for the target's own parser:
a folder with spaces in its name is common on Windows.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import time
from enum import StrEnum
from pathlib import Path, PurePosixPath, PureWindowsPath
from xml.etree import ElementTree as ET

TASK_NAMESPACE = "http://schemas.microsoft.com/windows/2004/02/mit/task"
TASK_NAME = "Cynare Link agent"
UNIT_NAME = "cynare-agent"
LINUX_USER = "cynare"
# A night's run that is still going after this is stuck (a PMS lock, a hung network): stop it.
TIME_LIMIT_HOURS = 4
_AT = re.compile(r"(?P<hour>[01]\d|2[0-3]):(?P<minute>[0-5]\d)")


class TargetOS(StrEnum):
    WINDOWS = "windows"
    LINUX = "linux"


@dataclass(frozen=True, slots=True)
class ScheduleRequest:
    target: TargetOS
    at: time
    agent: str  # the cynare-agent executable, as the target machine names it
    config: str  # the configuration file, as the target machine names it
    user: str | None = None  # Windows: DOMAIN\account (asked for when None); Linux: the service account
    env_file: str = "/etc/cynare-agent.env"  # Linux: environment variables (storage, proxy), readable by root only


@dataclass(frozen=True, slots=True)
class ScheduleFile:
    name: str
    text: str
    encoding: str  # Task Scheduler reads its XML as UTF-16; the rest is UTF-8


def parse_at(text: str) -> time:
    """`--at HH:MM`, 24-hour, the server's local time."""
    match = _AT.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a time of day: write it as HH:MM on the 24-hour clock, e.g. 01:00")
    return time(int(match["hour"]), int(match["minute"]))


def request_for(
    target: TargetOS, at: str, config: Path, *, agent: str | None = None, user: str | None = None,
    env_file: str = "/etc/cynare-agent.env",
) -> ScheduleRequest:  # fmt: skip
    """The request with the paths the task will use; ValueError says what to give instead."""
    here = TargetOS.WINDOWS if sys.platform == "win32" else TargetOS.LINUX
    if target is here:
        if not config.is_file():
            raise ValueError(f"no configuration at {config}: write one with `cynare-agent init {config}` first, "
                             "and give its path with --config")  # fmt: skip
        config_text = str(config.resolve())
        agent = agent or installed_agent(target)
        if agent is None:
            raise ValueError("cannot find the cynare-agent program: give its full path with --agent")
    else:  # written here for another machine: its paths are taken as given, and must be whole
        pure = PureWindowsPath(config) if target is TargetOS.WINDOWS else PurePosixPath(config)
        if agent is None or not pure.is_absolute():
            raise ValueError(f"for a {target} server written from another system, give --agent and --config as "
                             "full paths on that server")  # fmt: skip
        config_text = str(pure)
    return ScheduleRequest(target, parse_at(at), agent, config_text, user, env_file)


def installed_agent(target: TargetOS) -> str | None:
    """The cynare-agent program this command was started from, or the one beside its Python."""
    names = ("cynare-agent.exe", "cynare-agent") if target is TargetOS.WINDOWS else ("cynare-agent",)
    candidates = [shutil.which("cynare-agent"), sys.argv[0], *(str(Path(sys.executable).with_name(n)) for n in names)]
    for candidate in candidates:
        if candidate and Path(candidate).name.startswith("cynare-agent") and Path(candidate).is_file():
            return str(Path(candidate).resolve())
    return None


def next_steps(request: ScheduleRequest, folder: Path) -> list[str]:
    """What the admin does with the files written to `folder`."""
    if request.target is TargetOS.WINDOWS:
        script = subprocess.list2cmdline([str(folder / f"register-{UNIT_NAME}.ps1")])
        return [
            f"then, in an elevated PowerShell: powershell -ExecutionPolicy Bypass -File {script}",
            f"(or import {UNIT_NAME}-task.xml in Task Scheduler: Action > Import Task)",
        ]
    units = " ".join(shlex.quote(str(folder / name)) for name in (f"{UNIT_NAME}.service", f"{UNIT_NAME}.timer"))
    return [
        f"then: sudo install -m 644 {units} /etc/systemd/system/",
        f"      sudo systemctl daemon-reload && sudo systemctl enable --now {UNIT_NAME}.timer",
        f"      systemctl list-timers {UNIT_NAME}.timer   # shows the next run",
    ]


def files_for(request: ScheduleRequest) -> list[ScheduleFile]:
    if request.target is TargetOS.WINDOWS:
        xml = task_xml(request)
        return [
            ScheduleFile(f"{UNIT_NAME}-task.xml", xml, "utf-16"),
            ScheduleFile(f"register-{UNIT_NAME}.ps1", register_script(request, xml), "utf-8-sig"),
        ]
    service, timer = systemd_units(request)
    return [ScheduleFile(f"{UNIT_NAME}.service", service, "utf-8"), ScheduleFile(f"{UNIT_NAME}.timer", timer, "utf-8")]


# Windows -----------------------------------------------------------------------------------------


def windows_arguments(config: str) -> str:
    """`run --config <file>`, quoted as the agent's own (MS C runtime) parser reads its command line."""
    return subprocess.list2cmdline(["run", "--config", config])


def task_xml(request: ScheduleRequest) -> str:
    ET.register_namespace("", TASK_NAMESPACE)
    task = ET.Element(_tag("Task"), {"version": "1.4"})
    info = _child(task, "RegistrationInfo")
    _child(info, "Description", "Cynare Link agent: reads the PMS, uploads the night's extract to Cynare Link and "
                                "applies what Cynare Link wrote back. Written by `cynare-agent schedule`.")  # fmt: skip
    _child(info, "URI", f"\\{TASK_NAME}")
    trigger = _child(_child(task, "Triggers"), "CalendarTrigger")
    # No time zone in the boundary: Task Scheduler takes it as the server's local time, summer and winter.
    _child(trigger, "StartBoundary", f"2026-01-01T{request.at:%H:%M}:00")
    _child(trigger, "Enabled", "true")
    _child(_child(trigger, "ScheduleByDay"), "DaysInterval", "1")
    principal = _child(_child(task, "Principals"), "Principal", id="Author")
    if request.user:
        _child(principal, "UserId", request.user)
    _child(principal, "LogonType", "Password")  # "run whether the user is logged on or not"
    _child(principal, "RunLevel", "LeastPrivilege")
    settings = _child(task, "Settings")
    for name, value in (
        ("MultipleInstancesPolicy", "IgnoreNew"),  # a run still going is never joined by a second one
        ("DisallowStartIfOnBatteries", "false"),
        ("StopIfGoingOnBatteries", "false"),
        ("StartWhenAvailable", "true"),  # the server was off at the hour: run when it is back
        ("RunOnlyIfNetworkAvailable", "true"),
        ("ExecutionTimeLimit", f"PT{TIME_LIMIT_HOURS}H"),
        ("Enabled", "true"),
    ):
        _child(settings, name, value)
    action = _child(_child(task, "Actions", Context="Author"), "Exec")
    _child(action, "Command", _quoted_command(request.agent))
    _child(action, "Arguments", windows_arguments(request.config))
    _child(action, "WorkingDirectory", _windows_folder(request.config))
    ET.indent(task, space="  ")
    return '<?xml version="1.0" encoding="UTF-16"?>\n' + ET.tostring(task, encoding="unicode") + "\n"


def register_script(request: ScheduleRequest, xml: str) -> str:
    user = f" -UserName {_ps_quote(request.user)}" if request.user else ""
    return "\n".join([
        "# Registers the nightly Cynare Link agent task. Written by `cynare-agent schedule`.",
        "# Run it in an elevated PowerShell on the PMS server. The account it asks for runs the agent:",
        "# it needs the right to log on as a batch job, write access to the agent's work folder, read",
        "# access to its certificate, and the agent's environment variables (and HTTPS_PROXY / NO_PROXY",
        "# if the server reaches the internet through a proxy) set for that account.",
        "$ErrorActionPreference = 'Stop'",
        "$xml = @'",
        xml.rstrip("\n"),
        "'@",
        f"$credential = Get-Credential{user} -Message 'The account the Cynare Link agent runs as'",
        f"Register-ScheduledTask -TaskName {_ps_quote(TASK_NAME)} -Xml $xml -User $credential.UserName "
        "-Password $credential.GetNetworkCredential().Password -Force | Out-Null",
        f"Write-Host {_ps_quote(f'Registered the task {TASK_NAME!r}: it runs every day at {request.at:%H:%M}.')}",
        f"Write-Host {_ps_quote(f'Try it now with: Start-ScheduledTask -TaskName {_ps_quote(TASK_NAME)}')}",
        "",
    ])  # fmt: skip


def _tag(name: str) -> str:
    return f"{{{TASK_NAMESPACE}}}{name}"


def _child(parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, _tag(name), attributes)
    element.text = text
    return element


def _quoted_command(path: str) -> str:
    return f'"{path}"' if " " in path else path


def _windows_folder(path: str) -> str:
    head, _, _ = path.replace("/", "\\").rpartition("\\")
    return head or "."


def _ps_quote(text: str) -> str:
    """A PowerShell single-quoted string: nothing inside is expanded; a quote is doubled."""
    return "'" + text.replace("'", "''") + "'"


# Linux -------------------------------------------------------------------------------------------


def systemd_units(request: ScheduleRequest) -> tuple[str, str]:
    command = " ".join(_systemd_word(word) for word in (request.agent, "run", "--config", request.config))
    folder = request.config.rpartition("/")[0] or "/"
    service = "\n".join([
        "# /etc/systemd/system/cynare-agent.service, written by `cynare-agent schedule`.",
        "[Unit]",
        "Description=Cynare Link agent: read the PMS, upload the extract, apply write-backs",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=oneshot",
        f"User={request.user or LINUX_USER}",
        "# Storage and proxy settings (HTTPS_PROXY, NO_PROXY): keep this file readable by root only.",
        f"EnvironmentFile={_systemd_path(request.env_file)}",
        f"WorkingDirectory={_systemd_path(folder)}",
        f"ExecStart={command}",
        f"TimeoutStartSec={TIME_LIMIT_HOURS}h",
        "Nice=10",
        "",
    ])  # fmt: skip
    timer = "\n".join([
        "# /etc/systemd/system/cynare-agent.timer, written by `cynare-agent schedule`.",
        "[Unit]",
        "Description=Run the Cynare Link agent nightly",
        "",
        "[Timer]",
        f"OnCalendar=*-*-* {request.at:%H:%M}:00",
        "# A night missed while the server was off runs as soon as it is back.",
        "Persistent=true",
        f"Unit={UNIT_NAME}.service",
        "",
        "[Install]",
        "WantedBy=timers.target",
        "",
    ])  # fmt: skip
    return service, timer


def _systemd_word(word: str) -> str:
    """One word of ExecStart: double-quoted when needed, with systemd's own specials escaped."""
    escaped = _systemd_specials(word)
    if escaped and not re.search(r"[\s\"'\\;]", word):
        return escaped
    return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _systemd_path(path: str) -> str:
    return path.replace("%", "%%")  # specifiers are expanded here too; environment variables are not


def _systemd_specials(text: str) -> str:
    # % starts a specifier (%h, %n) and $ an environment variable in ExecStart: both doubled to stay literal.
    return text.replace("%", "%%").replace("$", "$$")
