"""A local stand-in for the Azure Functions host: runs the app's registered functions against Azurite.

`LocalHost` discovers the functions of an `azure.functions.FunctionApp`, fires timers on demand,
drains the queues the queue functions listen to (with host.json's retry and poison rules), and
calls HTTP functions in process. It is what `cynare host` drives; docs/local-host.md says how it
differs from the real host.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import inspect
import json
import logging
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Any
from urllib.parse import parse_qsl

import azure.functions as func
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.functions.queue import QueueMessage
from azure.functions.timer import TimerRequest
from azure.storage.queue import QueueClient
from azure.storage.queue import QueueMessage as StoredMessage

log = logging.getLogger(__name__)

DEFAULT_CONNECTION = "AzureWebJobsStorage"
POISON_SUFFIX = "-poison"
# The host holds a message it is running for 10 minutes (and renews the hold); one run at a time here.
_LEASE_SECONDS = 600
_SETTING = re.compile(r"%([^%]+)%")
_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2}(?:\.\d+)?)$")


class MissingSetting(KeyError):
    """A binding names an app setting (`%NAME%` or a connection) that the settings do not hold."""

    def __str__(self) -> str:
        return str(self.args[0])


class UnknownFunction(LookupError):
    pass


def parse_timespan(text: str) -> float:
    """Seconds in a host.json time span: `hh:mm:ss`, `d.hh:mm:ss`, seconds may have a fraction."""
    match = _TIMESPAN.match(text.strip())
    if match is None:
        raise ValueError(f"not a time span (hh:mm:ss): {text!r}")
    days, hours, minutes, seconds = match.groups()
    return int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + float(seconds)


@dataclass(frozen=True, slots=True)
class QueueOptions:
    """host.json's `extensions.queues`, with the host's defaults for what it leaves out."""

    batch_size: int = 16
    max_dequeue_count: int = 5
    visibility_timeout: float = 0.0
    message_encoding: str = "base64"
    route_prefix: str = "api"

    @classmethod
    def from_host_json(cls, path: Path) -> QueueOptions:
        document = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        # The host reads host.json's keys case-insensitively.
        extensions = _lower_keys(document).get("extensions", {})
        queues = _lower_keys(_lower_keys(extensions).get("queues", {}))
        http = _lower_keys(_lower_keys(extensions).get("http", {}))
        encoding = str(queues.get("messageencoding", "base64")).lower()
        if encoding not in {"base64", "none"}:
            raise ValueError(f"host.json: extensions.queues.messageEncoding must be base64 or none, not {encoding!r}")
        return cls(
            # The queue service hands out at most 32 messages at a time.
            batch_size=max(1, min(32, int(queues.get("batchsize", 16)))),
            max_dequeue_count=max(1, int(queues.get("maxdequeuecount", 5))),
            visibility_timeout=parse_timespan(str(queues.get("visibilitytimeout", "00:00:00"))),
            message_encoding=encoding,
            route_prefix=str(http.get("routeprefix", "api")).strip("/"),
        )


def _lower_keys(section: Any) -> dict[str, Any]:
    return {str(key).lower(): value for key, value in section.items()} if isinstance(section, dict) else {}


@dataclass(frozen=True, slots=True)
class QueueOutput:
    """A queue output binding: what the function sets on `arg` is sent to `queue` after a successful run."""

    arg: str
    queue: str
    connection_setting: str
    connection_string: str = field(repr=False)  # may hold an account key: never printed


@dataclass(frozen=True, slots=True)
class HostedFunction:
    """One registered function as the host sees it, its `%SETTING%`s resolved."""

    name: str
    trigger: str  # timer, queue, http, or the binding type of a trigger this host does not run
    arg_name: str
    call: Callable[..., Any] = field(repr=False)
    schedule: str = ""
    queue: str = ""
    connection_setting: str = ""
    connection_string: str = field(default="", repr=False)
    route: str = ""
    methods: tuple[str, ...] = ()  # empty: every method
    outputs: tuple[QueueOutput, ...] = ()
    http_output: str = ""  # the HTTP output binding's argument (`$return` when the function returns the response)
    unsupported: str = ""  # why this host cannot run it; empty when it can

    @property
    def poison_queue(self) -> str:
        return f"{self.queue}{POISON_SUFFIX}"


@dataclass(frozen=True, slots=True)
class FunctionRun:
    function: str
    trigger: str
    elapsed: float
    message_id: str | None = None
    dequeue_count: int | None = None
    error: str = ""  # the exception's type and text; empty when the run succeeded

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass(frozen=True, slots=True)
class Poisoned:
    function: str
    queue: str
    poison_queue: str
    message_id: str
    dequeue_count: int
    reason: str


@dataclass
class HostReport:
    """What the host did: every function run, every message moved to a poison queue, and how a drain ended."""

    runs: list[FunctionRun] = field(default_factory=list)
    poisoned: list[Poisoned] = field(default_factory=list)
    rounds: int = 0
    idle: bool | None = None  # None: no drain yet
    stop_reason: str = ""
    pending: dict[str, int] = field(default_factory=dict)  # messages left in each queue holding any at the stop

    @property
    def handled(self) -> dict[str, int]:
        """Queue messages each function handled successfully."""
        return dict(Counter(run.function for run in self.runs if run.ok and run.message_id is not None))

    @property
    def failures(self) -> list[FunctionRun]:
        return [run for run in self.runs if not run.ok]

    def add(self, other: HostReport) -> None:
        self.runs.extend(other.runs)
        self.poisoned.extend(other.poisoned)
        self.rounds += other.rounds
        if other.idle is not None:
            self.idle, self.stop_reason, self.pending = other.idle, other.stop_reason, dict(other.pending)

    def render(self) -> str:
        lines = [f"function runs: {len(self.runs)} ({len(self.failures)} failed)"]
        lines += [f"  {name}: {count} message(s) handled" for name, count in sorted(self.handled.items())]
        for run in self.runs:
            if run.message_id is None:
                lines.append(f"  {run.function} ({run.trigger}): {'ok' if run.ok else 'failed'} in {run.elapsed:.3f} s")
        for run in self.failures:
            what = f"message {run.message_id}" if run.message_id is not None else f"({run.trigger})"
            lines.append(f"  failed: {run.function} {what}: {run.error}")
        lines += [
            f"  poisoned: {item.message_id} from {item.queue} to {item.poison_queue} "
            f"after {item.dequeue_count} dequeue(s) ({item.reason})"
            for item in self.poisoned
        ]
        if self.idle is not None:
            lines.append(f"drain: {self.stop_reason} after {self.rounds} round(s)")
            lines += [f"  {queue}: {count} message(s) left" for queue, count in sorted(self.pending.items())]
        return "\n".join(lines)


class _Out(func.Out[Any]):
    def __init__(self) -> None:
        self._value: Any = None

    def set(self, val: Any) -> None:
        self._value = val

    def get(self) -> Any:
        return self._value


class LocalHost:
    """Runs the functions of `app` the way the Functions host would, against the storage the settings name.

    `environ` holds the app settings the bindings name (`%SETTING%`, connections). The functions
    themselves read `os.environ`, as in Azure: the caller puts the settings there (`cynare host` does).
    A connection is the connection string its setting holds (`UseDevelopmentStorage=true` only works
    with Azurite on its default ports; `cynare host` sets the settings to the Azurite it started).
    """

    def __init__(
        self,
        app: func.FunctionApp,
        environ: Mapping[str, str],
        host_json: Path,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._environ = environ
        self._clock = clock
        self._sleep = sleep
        self.options = QueueOptions.from_host_json(host_json)
        self._clients: dict[tuple[str, str], QueueClient] = {}
        self.report = HostReport()
        functions = [self._describe(function) for function in _functions_of(app)]
        self.functions: Mapping[str, HostedFunction] = MappingProxyType({fn.name: fn for fn in functions})
        for fn in functions:
            if fn.unsupported:
                log.warning("function %s (%s) will not run here: %s", fn.name, fn.trigger, fn.unsupported)

    # Discovery

    def resolve(self, value: str) -> str:
        """Replace every `%NAME%` with the setting NAME, as the host does in binding attributes."""

        def setting(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in self._environ:
                raise MissingSetting(f"app setting {name} is not set (named by {value!r})")
            return self._environ[name]

        return _SETTING.sub(setting, value)

    def connection_string(self, setting: str | None) -> str:
        """The connection string a binding's `connection` names; the host also tries `AzureWebJobs<name>`."""
        name = setting or DEFAULT_CONNECTION
        for candidate in (name, f"AzureWebJobs{name}"):
            if self._environ.get(candidate):
                return self._environ[candidate]
        raise MissingSetting(f"storage connection setting {name} is not set")

    def _describe(self, function: func.Function) -> HostedFunction:
        name = str(function.get_function_name())
        trigger = function.get_trigger()
        if trigger is None:  # get_functions() already refuses a function without one
            raise ValueError(f"function {name} has no trigger")
        spec = trigger.get_dict_repr()
        kind = str(spec.get("type", ""))
        try:
            return self._describe_bindings(function, name, kind, spec)
        except MissingSetting as missing:
            raise MissingSetting(f"function {name}: {missing}") from None

    def _describe_bindings(
        self, function: func.Function, name: str, kind: str, spec: Mapping[str, Any]
    ) -> HostedFunction:
        user_function = function.get_user_function()
        arg_name = str(spec["name"])
        outputs: list[QueueOutput] = []
        http_output = ""
        unsupported: list[str] = []
        for binding in function.get_bindings():
            detail = binding.get_dict_repr()
            if detail is spec or detail.get("name") == arg_name:
                continue
            if detail.get("type") == "queue":
                setting = str(detail.get("connection") or DEFAULT_CONNECTION)
                outputs.append(
                    QueueOutput(
                        str(detail["name"]),
                        self.resolve(str(detail["queueName"])).lower(),
                        setting,
                        self.connection_string(setting),
                    )
                )
            elif detail.get("type") == "http" and kind == "httpTrigger":
                http_output = str(detail["name"])
            else:
                unsupported.append(f"{detail.get('type')} binding {detail.get('name')}")
        supplied = {arg_name, *(out.arg for out in outputs), http_output}
        for parameter in inspect.signature(user_function).parameters.values():
            if parameter.name in supplied or parameter.default is not inspect.Parameter.empty:
                continue
            if parameter.name == "context":
                unsupported.append("the context parameter is not supplied by this host")
            else:
                # The Python worker refuses such a function too ("declared in Python but not in function.json").
                unsupported.append(
                    f"parameter {parameter.name} has no binding (arg_name {arg_name!r} names the trigger)"
                )
        common: dict[str, Any] = {
            "name": name,
            "arg_name": arg_name,
            "call": user_function,
            "outputs": tuple(outputs),
            "unsupported": "; ".join(unsupported),
        }
        if kind == "timerTrigger":
            return HostedFunction(trigger="timer", schedule=self.resolve(str(spec["schedule"])), **common)
        if kind == "queueTrigger":
            setting = str(spec.get("connection") or DEFAULT_CONNECTION)
            return HostedFunction(
                trigger="queue",
                queue=self.resolve(str(spec["queueName"])).lower(),
                connection_setting=setting,
                connection_string=self.connection_string(setting),
                **common,
            )
        if kind == "httpTrigger":
            methods = tuple(str(method).upper() for method in spec.get("methods") or ())
            route = self.resolve(str(spec.get("route") or name)).strip("/")
            return HostedFunction(trigger="http", route=route, methods=methods, http_output=http_output, **common)
        common["unsupported"] = "; ".join([f"{kind} triggers are not run by this host", *unsupported])
        return HostedFunction(trigger=kind, **common)

    def function(self, name: str, trigger: str) -> HostedFunction:
        """The named function, refused unless it has that trigger (timer, queue, http) and can run here."""
        fn = self.functions.get(name)
        if fn is None or fn.trigger != trigger:
            known = ", ".join(sorted(f.name for f in self.functions.values() if f.trigger == trigger)) or "none"
            raise UnknownFunction(f"no {trigger} function named {name!r} (there are: {known})")
        if fn.unsupported:
            raise UnknownFunction(f"function {name} cannot run here: {fn.unsupported}")
        return fn

    # Timers

    def fire(self, timer_name: str) -> FunctionRun:
        """Run a timer function now, as its schedule would (`past_due` False). A failed run is not retried."""
        fn = self.function(timer_name, "timer")
        run, _ = self._invoke(fn, TimerRequest(past_due=False))
        self.report.runs.append(run)
        return run

    # Queues

    def drain(
        self,
        until_idle: bool = True,
        max_rounds: int = 10_000,
        max_wait: float = 300.0,
        poll: float = 0.25,
    ) -> HostReport:
        """Hand queue messages to their functions until every listened queue is empty.

        A round receives up to host.json's batchSize from each queue. With `until_idle`, messages
        not yet visible (sent with a delay, or waiting out a failed run's visibility timeout) are
        waited for, polling every `poll` seconds, but never more than `max_wait` seconds without a
        message to run, and never beyond `max_rounds` rounds: the report says which bound stopped it.
        Without `until_idle`, it stops at the first round that finds nothing visible.
        """
        report = HostReport()
        listeners = [fn for fn in self.functions.values() if fn.trigger == "queue" and not fn.unsupported]
        waiting_since: float | None = None
        for round_number in range(1, max_rounds + 1):
            report.rounds = round_number
            if sum(self._receive(fn, report) for fn in listeners):
                waiting_since = None
                continue
            report.pending = self._pending(listeners)
            left = sum(report.pending.values())
            if not left:
                report.idle, report.stop_reason = True, "idle: every queue is empty"
                break
            if not until_idle:
                report.idle = False
                report.stop_reason = f"nothing visible; {left} message(s) not yet visible were not waited for"
                break
            now = self._clock()
            waiting_since = now if waiting_since is None else waiting_since
            if now - waiting_since >= max_wait:
                report.idle = False
                report.stop_reason = f"gave up: {left} message(s) still not visible after waiting {max_wait:g} s"
                break
            self._sleep(poll)
        else:
            report.pending = self._pending(listeners)
            left = sum(report.pending.values())
            report.idle = not left
            report.stop_reason = (
                f"stopped at max_rounds={max_rounds} with {left} message(s) left"
                if left
                else "idle: every queue is empty"
            )
        log.info("drain: %s after %d round(s)", report.stop_reason, report.rounds)
        self.report.add(report)
        return report

    def _receive(self, fn: HostedFunction, report: HostReport) -> int:
        client = self._client(fn.connection_string, fn.queue)
        try:
            messages = list(
                client.receive_messages(max_messages=self.options.batch_size, visibility_timeout=_LEASE_SECONDS)
            )
        except ResourceNotFoundError:  # the host waits for a queue nobody created yet
            return 0
        for message in messages:
            self._handle(fn, client, message, report)
        return len(messages)

    def _handle(self, fn: HostedFunction, client: QueueClient, stored: StoredMessage, report: HostReport) -> None:
        dequeues = int(stored.dequeue_count or 0)
        if dequeues > self.options.max_dequeue_count:
            self._poison(fn, client, stored, report, f"dequeued {dequeues} times, more than maxDequeueCount")
            return
        try:
            body = self._decode(str(stored.content or ""))
        except ValueError as error:
            # The host's queue extension moves a message it cannot decode straight to the poison queue.
            self._poison(fn, client, stored, report, f"not {self.options.message_encoding}: {error}")
            return
        message = QueueMessage(
            id=stored.id,
            body=body,
            dequeue_count=dequeues,
            expiration_time=stored.expires_on,
            insertion_time=stored.inserted_on,
            time_next_visible=stored.next_visible_on,
            pop_receipt=stored.pop_receipt,
        )
        run, _ = self._invoke(fn, message, message_id=str(stored.id), dequeue_count=dequeues)
        report.runs.append(run)
        if run.ok:
            client.delete_message(stored.id, stored.pop_receipt)
        elif dequeues >= self.options.max_dequeue_count:
            self._poison(fn, client, stored, report, f"reached maxDequeueCount of {self.options.max_dequeue_count}")
        else:
            client.update_message(
                stored.id, stored.pop_receipt, visibility_timeout=round(self.options.visibility_timeout)
            )

    def _poison(
        self, fn: HostedFunction, client: QueueClient, stored: StoredMessage, report: HostReport, why: str
    ) -> None:
        log.warning("message %s: %s; moving it to queue %r", stored.id, why, fn.poison_queue)
        poison = self._client(fn.connection_string, fn.poison_queue)
        with contextlib.suppress(ResourceExistsError):
            poison.create_queue()
        poison.send_message(stored.content)  # the content as it was, still encoded
        client.delete_message(stored.id, stored.pop_receipt)
        report.poisoned.append(
            Poisoned(fn.name, fn.queue, fn.poison_queue, str(stored.id), int(stored.dequeue_count or 0), why)
        )

    def _pending(self, listeners: Iterable[HostedFunction]) -> dict[str, int]:
        """Messages in each listened queue that holds any, visible or not (the approximate count counts both)."""
        pending: dict[str, int] = {}
        for fn in listeners:
            try:
                properties = self._client(fn.connection_string, fn.queue).get_queue_properties()
            except ResourceNotFoundError:
                continue
            if properties.approximate_message_count:
                pending[fn.queue] = int(properties.approximate_message_count)
        return pending

    def _decode(self, content: str) -> bytes:
        if self.options.message_encoding == "none":
            return content.encode()
        try:
            return base64.b64decode(content, validate=True)
        except binascii.Error as error:
            raise ValueError(str(error)) from None

    def _encode(self, body: bytes) -> str:
        return body.decode() if self.options.message_encoding == "none" else base64.b64encode(body).decode()

    def _client(self, connection_string: str, queue: str) -> QueueClient:
        key = (connection_string, queue)
        if key not in self._clients:
            self._clients[key] = QueueClient.from_connection_string(connection_string, queue)
        return self._clients[key]

    # HTTP

    def call_http(
        self,
        name: str,
        method: str = "GET",
        path: str | None = None,
        body: bytes | str = b"",
        headers: Mapping[str, str] | None = None,
    ) -> func.HttpResponse:
        """Call an HTTP function with a request for `path` (its route by default; `/api/` and a query allowed).

        As the host: 404 when the route or the method does not match, 500 when the function raises.
        """
        fn = self.function(name, "http")
        target, query = self._route_target(path if path is not None else fn.route)
        prefix = self.options.route_prefix
        route_params = _match_route(fn.route, target)
        if route_params is None or (fn.methods and method.upper() not in fn.methods):
            log.info("%s (http) not called: %s /%s does not match its route or methods", name, method, target)
            return func.HttpResponse(status_code=404)
        url = f"http://localhost/{prefix + '/' if prefix else ''}{target}" + (f"?{query}" if query else "")
        request = func.HttpRequest(
            method=method.upper(),
            url=url,
            headers=dict(headers or {}),
            params=dict(parse_qsl(query, keep_blank_values=True)),  # the host keeps `?entity=` as ""
            route_params=route_params,
            body=body.encode() if isinstance(body, str) else body,
        )
        run, response = self._invoke(fn, request)
        self.report.runs.append(run)
        if not run.ok:
            return func.HttpResponse(status_code=500)
        return _as_response(response)

    def http_function_for(self, method: str, path: str) -> str | None:
        """The HTTP function the host would route `method path` to (`/api/...`, a query allowed), or None."""
        target, _ = self._route_target(path)
        for fn in self.functions.values():
            if fn.trigger != "http" or fn.unsupported:
                continue
            if _match_route(fn.route, target) is not None and (not fn.methods or method.upper() in fn.methods):
                return fn.name
        return None

    def _route_target(self, path: str) -> tuple[str, str]:
        """The path under the route prefix, without slashes at either end, and the query string."""
        target, _, query = path.partition("?")
        target = target.strip("/")
        prefix = self.options.route_prefix
        if prefix and (target.lower() == prefix.lower() or target.lower().startswith(f"{prefix.lower()}/")):
            target = target[len(prefix) + 1 :]
        return target, query

    # Running one function

    def _invoke(
        self, fn: HostedFunction, trigger: object, message_id: str | None = None, dequeue_count: int | None = None
    ) -> tuple[FunctionRun, Any]:
        # `$return` outputs take the return value; the others are `func.Out` arguments.
        outs = {out.arg: _Out() for out in fn.outputs if out.arg != "$return"}
        http_out = _Out() if fn.http_output and fn.http_output != "$return" else None
        arguments: dict[str, Any] = {fn.arg_name: trigger, **outs}
        if http_out is not None:
            arguments[fn.http_output] = http_out
        started = self._clock()
        error = ""
        result: Any = None
        try:
            result = fn.call(**arguments)
            if inspect.isawaitable(result):
                result = asyncio.run(_awaited(result))
            # The host writes a function's outputs only when it succeeded.
            for out in fn.outputs:
                value = result if out.arg == "$return" else outs[out.arg].get()
                self._send(out, value)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.error("%s (%s) raised", fn.name, fn.trigger, exc_info=True)
        elapsed = self._clock() - started
        where = f" message {message_id} (dequeue {dequeue_count})" if message_id is not None else ""
        log.info("%s (%s)%s %s in %.3f s", fn.name, fn.trigger, where, "failed" if error else "succeeded", elapsed)
        run = FunctionRun(fn.name, fn.trigger, elapsed, message_id, dequeue_count, error)
        return run, (http_out.get() if http_out is not None else result)

    def _send(self, out: QueueOutput, value: Any) -> None:
        bodies = list(_message_bodies(value))
        if not bodies:
            return
        client = self._client(out.connection_string, out.queue)
        with contextlib.suppress(ResourceExistsError):
            client.create_queue()  # the host's output binding creates its queue
        for body in bodies:
            client.send_message(self._encode(body))

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def __enter__(self) -> LocalHost:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def load_settings(local_settings: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """The process environment over local.settings.json's `Values` (the environment wins, as with Core Tools)."""
    values: dict[str, str] = {}
    if local_settings.exists():
        document = json.loads(local_settings.read_text(encoding="utf-8"))
        if document.get("IsEncrypted"):
            raise ValueError(f"{local_settings} is encrypted: decrypt it first")
        values = {str(key): str(value) for key, value in (document.get("Values") or {}).items()}
    return {**values, **environ}


def load_app(app_dir: Path) -> func.FunctionApp:
    """`app` from the folder's function_app.py, imported as the host imports it (the folder on sys.path)."""
    import importlib

    folder = str(app_dir.resolve())
    if folder not in sys.path:
        sys.path.insert(0, folder)
    app = importlib.import_module("function_app").app
    if not isinstance(app, func.FunctionApp):
        raise TypeError(f"{app_dir / 'function_app.py'}: `app` is not an azure.functions.FunctionApp")
    return app


def run_host(app_dir: Path, timers: Iterable[str], drain: bool, azurite: bool, echo: Callable[[str], None]) -> int:
    """`cynare host`: 0 when every run succeeded and the queues drained to empty, 1 otherwise, 2 on a setup error."""
    from cynare.adapters.azurite import Azurite, AzuriteNotInstalled

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings(app_dir / "local.settings.json", os.environ)
    with contextlib.ExitStack() as stack:
        if azurite:
            try:
                running = stack.enter_context(Azurite())
            except AzuriteNotInstalled as error:
                echo(f"error: {error}")
                return 2
            # The functions and the bindings both reach storage through these two settings.
            settings["AzureWebJobsStorage"] = settings["CYNARE_STORAGE_CONNECTION"] = running.connection_string
            echo(
                f"Azurite (in memory) on 127.0.0.1 ports {running.blob_port}/{running.queue_port}/{running.table_port}"
            )
        # In Azure the app settings are the worker's environment: the functions read them there.
        os.environ.update(settings)
        try:
            host = stack.enter_context(LocalHost(load_app(app_dir), settings, app_dir / "host.json"))
            names = list(timers)
            for name in names:
                host.function(name, "timer")  # every name checked before anything runs
            for name in names:
                host.fire(name)
        except (MissingSetting, UnknownFunction) as error:
            echo(f"error: {error}")
            return 2
        if drain:
            host.drain()
        echo(host.report.render())
        report = host.report
        return 0 if not report.failures and not report.poisoned and report.idle is not False else 1


def _functions_of(app: func.FunctionApp) -> list[func.Function]:
    # get_functions() refuses a second call on one app (it takes every name for a duplicate):
    # clear its record of names for this call and put it back, so other callers see no change.
    taken = app.functions_bindings
    app.functions_bindings = None
    quiet = _QuietAuthLevelNotice()
    logging.getLogger().addFilter(quiet)
    try:
        return list(app.get_functions())
    finally:
        app.functions_bindings = taken
        logging.getLogger().removeFilter(quiet)


class _QuietAuthLevelNotice(logging.Filter):
    """get_functions() warns, on every call, that an app without HTTP functions has no use for auth levels."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Auth level is not applied")


def _message_bodies(value: Any) -> Iterator[bytes]:
    """What a queue output binding sends: a str, bytes or QueueMessage, or a list of them; nothing for None."""
    if value is None:
        return
    if isinstance(value, str):
        yield value.encode()
    elif isinstance(value, bytes | bytearray):
        yield bytes(value)
    elif isinstance(value, func.QueueMessage):
        yield value.get_body()
    elif isinstance(value, Iterable):
        for item in value:
            yield from _message_bodies(item)
    else:
        raise TypeError(f"a queue output takes str, bytes or QueueMessage, not {type(value).__name__}")


def _as_response(value: Any) -> func.HttpResponse:
    if isinstance(value, func.HttpResponse):
        return value
    if value is None:
        return func.HttpResponse(status_code=204)
    if isinstance(value, str | bytes):
        return func.HttpResponse(value)
    raise TypeError(f"an HTTP function returns HttpResponse, str or bytes, not {type(value).__name__}")


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


_ROUTE_PARAMETER = re.compile(r"\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z]+)(?:\([^)]*\))?)*(\?)?\}")


def _match_route(template: str, path: str) -> dict[str, str] | None:
    """The route parameters when `path` matches the route template (`{id}`, `{id:int}`, `{id?}`, `{*rest}`)."""
    pattern, position = "", 0
    for match in _ROUTE_PARAMETER.finditer(template):
        literal = template[position : match.start()]
        catch_all, name, constraint, optional = match.groups()
        value = ".*" if catch_all else r"-?\d+" if (constraint or "").lower() in {"int", "long"} else "[^/]+"
        group = f"(?P<{name}>{value})"
        # A catch-all may be empty, and then its slash goes too: `pages/{*path}` answers `/api/pages`.
        if (optional or catch_all) and literal.endswith("/"):
            pattern += re.escape(literal[:-1]) + f"(?:/{group})?"
        else:
            pattern += re.escape(literal) + group + ("?" if optional else "")
        position = match.end()
    pattern += re.escape(template[position:])
    found = re.fullmatch(pattern, path, re.IGNORECASE)
    if found is None:
        return None
    return {key: value for key, value in found.groupdict().items() if value is not None}
