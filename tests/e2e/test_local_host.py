"""`LocalHost` runs a small test app's timer, queue and HTTP functions against Azurite as the Functions host would."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest
from azure.storage.queue import QueueClient, TextBase64EncodePolicy
from typer.testing import CliRunner

from cynare.adapters.azurite import KEY
from cynare.entrypoints.cli import app as cli
from cynare.entrypoints.local_host import LocalHost, MissingSetting, UnknownFunction, parse_timespan
from tests.e2e.functions import registered_functions

ROOT = Path(__file__).resolve().parents[2]
Record = dict[str, list[Any]]


def build_app(record: Record, environ: dict[str, str], messages: list[str]) -> func.FunctionApp:
    """A timer that queues `messages`, a worker that fails on `fail-*`, its poison handler, a self-delaying function."""
    app = func.FunctionApp()

    @app.timer_trigger(schedule="%KICK_SCHEDULE%", arg_name="timer", run_on_startup=False)
    @app.queue_output(arg_name="out", queue_name="%WORK_QUEUE%", connection="TEST_STORAGE")
    def kick(timer: func.TimerRequest, out: func.Out[list[str]]) -> None:
        record["kick"].append(timer.past_due)
        out.set(messages)

    @app.queue_trigger(arg_name="msg", queue_name="%WORK_QUEUE%", connection="TEST_STORAGE")
    def work(msg: func.QueueMessage) -> None:
        body = msg.get_body().decode()
        record["work"].append((body, msg.dequeue_count, msg.id))
        if body.startswith("fail"):
            raise RuntimeError(f"cannot handle {body}")

    @app.queue_trigger(arg_name="msg", queue_name="%WORK_QUEUE%-poison", connection="TEST_STORAGE")
    def work_poison(msg: func.QueueMessage) -> None:
        record["poison"].append((msg.get_body().decode(), msg.dequeue_count, msg.insertion_time is not None))

    @app.queue_trigger(arg_name="msg", queue_name="%LATER_QUEUE%", connection="")  # the default connection setting
    def later(msg: func.QueueMessage) -> None:
        step = msg.get_json()["step"]
        record["later"].append((step, time.monotonic()))
        if step < 1:
            again_in(environ, {"step": step + 1}, seconds=2)

    @app.route(route="items/{item_id}", methods=["GET"])
    def item(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(json.dumps({"id": req.route_params["item_id"], "q": req.params.get("q")}))

    @app.route(route="broken", methods=["POST"])
    def broken(req: func.HttpRequest) -> func.HttpResponse:
        raise ValueError("no")

    return app


def later_queue(environ: dict[str, str]) -> QueueClient:
    # As the functions send: base64 text, which the host decodes.
    return QueueClient.from_connection_string(
        environ["AzureWebJobsStorage"], environ["LATER_QUEUE"], message_encode_policy=TextBase64EncodePolicy()
    )


def again_in(environ: dict[str, str], body: dict[str, int], seconds: int) -> None:
    with later_queue(environ) as queue:
        queue.send_message(json.dumps(body), visibility_timeout=seconds)


def messages_in(connection: str, queue: str) -> int:
    with QueueClient.from_connection_string(connection, queue) as client:
        return int(client.get_queue_properties().approximate_message_count or 0)


@pytest.fixture
def environ(storage_connection: str, unique_name: str) -> dict[str, str]:
    return {
        "KICK_SCHEDULE": "0 */5 * * * *",
        "WORK_QUEUE": f"{unique_name}-work",
        "LATER_QUEUE": f"{unique_name}-later",
        "TEST_STORAGE": storage_connection,
        "AzureWebJobsStorage": storage_connection,
    }


@pytest.fixture
def host_json(tmp_path: Path) -> Path:
    # A one-second visibility timeout and three dequeues keep a retried message's path short.
    path = tmp_path / "host.json"
    path.write_text(
        json.dumps(
            {
                "version": "2.0",
                "extensions": {"queues": {"batchSize": 2, "visibilityTimeout": "00:00:01", "maxDequeueCount": 3}},
            }
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def record() -> Record:
    return {"kick": [], "work": [], "poison": [], "later": []}


def start(record: Record, environ: dict[str, str], host_json: Path, messages: list[str] | None = None) -> LocalHost:
    return LocalHost(build_app(record, environ, messages or []), environ, host_json)


def test_bindings_are_discovered_with_their_settings_resolved(
    record: Record, environ: dict[str, str], host_json: Path
) -> None:
    with start(record, environ, host_json) as host:
        kick, work, poison, later = (host.functions[name] for name in ("kick", "work", "work_poison", "later"))
        item, broken = host.functions["item"], host.functions["broken"]

    assert (kick.trigger, kick.schedule) == ("timer", "0 */5 * * * *")
    assert [(out.arg, out.queue, out.connection_setting) for out in kick.outputs] == [
        ("out", environ["WORK_QUEUE"], "TEST_STORAGE")
    ]
    assert (work.trigger, work.queue, work.connection_setting) == ("queue", environ["WORK_QUEUE"], "TEST_STORAGE")
    assert work.connection_string == environ["TEST_STORAGE"]
    assert poison.queue == f"{environ['WORK_QUEUE']}-poison" == work.poison_queue
    assert (later.queue, later.connection_setting) == (environ["LATER_QUEUE"], "AzureWebJobsStorage")
    assert (item.trigger, item.route, item.methods) == ("http", "items/{item_id}", ("GET",))
    assert (broken.route, broken.methods) == ("broken", ("POST",))
    assert not any(fn.unsupported for fn in host.functions.values())
    assert KEY not in repr(work) + repr(kick)  # a connection string is never printed
    assert (host.options.batch_size, host.options.visibility_timeout, host.options.max_dequeue_count) == (2, 1.0, 3)


def test_a_binding_naming_a_missing_setting_is_refused_with_its_name(
    record: Record, environ: dict[str, str], host_json: Path
) -> None:
    del environ["WORK_QUEUE"]
    with pytest.raises(MissingSetting, match="WORK_QUEUE"):
        start(record, environ, host_json)
    environ["WORK_QUEUE"], environ["TEST_STORAGE"] = "q", ""
    with pytest.raises(MissingSetting, match="kick: storage connection setting TEST_STORAGE"):
        start(record, environ, host_json)


def test_a_fired_timer_queues_messages_that_are_handled_and_deleted(
    record: Record, environ: dict[str, str], host_json: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cynare.entrypoints.local_host")
    with start(record, environ, host_json, ["a", "b", "c"]) as host:
        run = host.fire("kick")
        assert run.ok and run.trigger == "timer"
        assert messages_in(environ["TEST_STORAGE"], environ["WORK_QUEUE"]) == 3

        drained = host.drain()

    assert record["kick"] == [False]
    assert sorted(body for body, _, _ in record["work"]) == ["a", "b", "c"]
    assert {count for _, count, _ in record["work"]} == {1}
    assert drained.idle is True and drained.handled == {"work": 3} and drained.failures == []
    assert drained.rounds == 3  # two messages, then one (batchSize 2), then a round that finds the queue empty
    assert messages_in(environ["TEST_STORAGE"], environ["WORK_QUEUE"]) == 0
    assert host.report.handled == {"work": 3} and len(host.report.runs) == 4
    lines = [r.getMessage() for r in caplog.records if r.name == "cynare.entrypoints.local_host"]
    assert sum(line.startswith("kick (timer) succeeded in") for line in lines) == 1
    assert sum(line.startswith("work (queue) message") and " succeeded in " in line for line in lines) == 3


def test_a_failing_message_is_retried_then_poisoned_and_the_poison_function_handles_it(
    record: Record, environ: dict[str, str], host_json: Path
) -> None:
    with start(record, environ, host_json, ["ok", "fail-1"]) as host:
        host.fire("kick")
        began = time.monotonic()
        drained = host.drain()
        took = time.monotonic() - began

    attempts = [(count, message_id) for body, count, message_id in record["work"] if body == "fail-1"]
    assert [count for count, _ in attempts] == [1, 2, 3]
    assert len({message_id for _, message_id in attempts}) == 1
    assert took >= 1.5  # two one-second visibility timeouts between the three attempts (Azurite keeps whole seconds)
    failing_id = attempts[0][1]
    assert [(run.function, run.message_id, run.dequeue_count, run.error) for run in drained.failures] == [
        ("work", failing_id, count, "RuntimeError: cannot handle fail-1") for count in (1, 2, 3)
    ]
    [poisoned] = drained.poisoned
    assert (poisoned.function, poisoned.message_id, poisoned.dequeue_count) == ("work", failing_id, 3)
    assert poisoned.poison_queue == f"{environ['WORK_QUEUE']}-poison"
    # A fresh message on the poison queue: its own first dequeue.
    assert record["poison"] == [("fail-1", 1, True)]
    assert drained.handled == {"work": 1, "work_poison": 1} and drained.idle is True
    assert messages_in(environ["TEST_STORAGE"], environ["WORK_QUEUE"]) == 0
    assert messages_in(environ["TEST_STORAGE"], poisoned.poison_queue) == 0
    assert "poisoned: " in host.report.render() and "failed: work message" in host.report.render()


def test_a_message_sent_with_a_delay_is_waited_for(record: Record, environ: dict[str, str], host_json: Path) -> None:
    with start(record, environ, host_json) as host:
        with later_queue(environ) as queue:
            queue.create_queue()
            queue.send_message(json.dumps({"step": 0}))
        drained = host.drain()

    assert [step for step, _ in record["later"]] == [0, 1]
    assert record["later"][1][1] - record["later"][0][1] >= 1.5
    assert drained.idle is True and drained.handled == {"later": 2}
    assert drained.stop_reason.startswith("idle")


def test_a_drain_says_which_bound_stopped_it_with_messages_pending(
    record: Record, environ: dict[str, str], host_json: Path
) -> None:
    queue_name = environ["LATER_QUEUE"]
    with start(record, environ, host_json) as host:
        with later_queue(environ) as queue:
            queue.create_queue()
            queue.send_message(json.dumps({"step": 5}), visibility_timeout=30)

        not_waited = host.drain(until_idle=False)
        assert (not_waited.idle, not_waited.pending[queue_name], not_waited.rounds) == (False, 1, 1)
        assert "not yet visible were not waited for" in not_waited.stop_reason

        gave_up = host.drain(max_wait=0.5, poll=0.1)
        assert gave_up.idle is False and gave_up.stop_reason.startswith("gave up")
        assert gave_up.pending == {queue_name: 1} and record["later"] == []

        again_in(environ, {"step": 0}, seconds=0)
        bounded = host.drain(max_rounds=1)
        assert [step for step, _ in record["later"]] == [0]
        assert bounded.idle is False and bounded.stop_reason == "stopped at max_rounds=1 with 2 message(s) left"

    assert host.report.idle is False and host.report.stop_reason == bounded.stop_reason


def test_a_message_that_is_not_base64_goes_to_the_poison_queue_without_a_run(
    record: Record, environ: dict[str, str], host_json: Path
) -> None:
    with QueueClient.from_connection_string(environ["TEST_STORAGE"], environ["WORK_QUEUE"]) as raw:
        raw.create_queue()
        raw.send_message("{not base64}")
    with start(record, environ, host_json) as host:
        drained = host.drain()

    assert record["work"] == [] and record["poison"] == []
    # The poison function cannot decode it either, so it moves on once more, as with the host.
    assert [(item.function, item.dequeue_count) for item in drained.poisoned] == [("work", 1), ("work_poison", 1)]
    assert drained.poisoned[0].reason.startswith("not base64")
    assert drained.idle is True


def test_http_functions_are_called_with_their_route_parameters(
    record: Record, environ: dict[str, str], host_json: Path
) -> None:
    with start(record, environ, host_json) as host:
        found = host.call_http("item", "GET", "/api/items/42?q=x", headers={"Accept": "application/json"})
        assert (found.status_code, json.loads(found.get_body())) == (200, {"id": "42", "q": "x"})
        assert host.call_http("item", "POST", "items/42").status_code == 404
        assert host.call_http("item", "GET", "items/42/more").status_code == 404
        assert host.call_http("broken", "POST", body="{}").status_code == 500
        with pytest.raises(UnknownFunction, match="no timer function named 'item'"):
            host.fire("item")

    assert [(run.function, run.error) for run in host.report.runs] == [("item", ""), ("broken", "ValueError: no")]


def test_a_function_the_host_cannot_run_is_listed_with_the_reason_and_never_run(
    environ: dict[str, str], host_json: Path
) -> None:
    app = func.FunctionApp()

    @app.route(route="night", methods=["POST"])  # the trigger's argument is `req` unless told otherwise
    def night(request: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("started")

    @app.blob_trigger(arg_name="blob", path="inbound/{name}", connection="AzureWebJobsStorage")
    def arrived(blob: func.InputStream) -> None:
        pass

    with LocalHost(app, environ, host_json) as host:
        assert "parameter request has no binding (arg_name 'req'" in host.functions["night"].unsupported
        assert host.functions["arrived"].trigger == "blobTrigger"
        assert "blobTrigger triggers are not run by this host" in host.functions["arrived"].unsupported
        with pytest.raises(UnknownFunction, match="night cannot run here"):
            host.call_http("night", "POST")
        assert host.drain(until_idle=False).idle is True and host.report.runs == []


def test_time_spans_read_as_the_host_reads_them() -> None:
    assert parse_timespan("00:00:30") == 30
    assert parse_timespan("1.02:00:00.5") == 93600.5
    with pytest.raises(ValueError, match="not a time span"):
        parse_timespan("30s")


def test_every_function_of_the_real_app_is_discovered_with_its_trigger() -> None:
    example = json.loads((ROOT / "local.settings.json.example").read_text(encoding="utf-8"))["Values"]
    registered = registered_functions()  # the app refuses a second get_functions(): the host must not mind
    app = sys.modules["function_app"].app

    with LocalHost(app, example, ROOT / "host.json") as host:
        functions = dict(host.functions)

    assert sorted(functions) == sorted(registered)
    for fn in functions.values():
        assert fn.trigger in {"timer", "queue", "http"} and not fn.unsupported, fn
        assert fn.call is registered[fn.name]
    assert functions["import_extracts"].schedule == example["CYNARE_IMPORT_SCHEDULE"]
    assert functions["import_catch_up"].schedule == "0 45 * * * *"
    assert (host.options.max_dequeue_count, host.options.visibility_timeout) == (5, 30.0)
    assert registered_functions() is registered


def test_cynare_host_fires_timers_drains_and_prints_the_report(
    tmp_path: Path, storage_connection: str, unique_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A function app folder of its own: function_app.py, host.json and local.settings.json.
    (tmp_path / "function_app.py").write_text(
        "import azure.functions as func\n"
        "app = func.FunctionApp()\n\n"
        "@app.timer_trigger(schedule='%TICK%', arg_name='timer')\n"
        "@app.queue_output(arg_name='out', queue_name='%Q%', connection='AzureWebJobsStorage')\n"
        "def tick(timer, out):\n"
        "    out.set(['one', 'two'])\n\n"
        "@app.queue_trigger(arg_name='msg', queue_name='%Q%', connection='AzureWebJobsStorage')\n"
        "def take(msg):\n"
        "    assert msg.get_body() in (b'one', b'two')\n",
        encoding="utf-8",
    )
    (tmp_path / "host.json").write_text('{"version": "2.0"}', encoding="utf-8")
    (tmp_path / "local.settings.json").write_text(
        json.dumps({"Values": {"TICK": "0 0 * * * *", "Q": "overridden"}}), encoding="utf-8"
    )
    monkeypatch.setattr(os, "environ", {**os.environ, "AzureWebJobsStorage": storage_connection, "Q": unique_name})
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "function_app", raising=False)

    result = CliRunner().invoke(cli, ["host", "--no-azurite", "--fire", "tick", "--app-dir", str(tmp_path)])

    assert result.exit_code == 0, result.output
    assert "take: 2 message(s) handled" in result.output
    assert "tick (timerTrigger)" not in result.output and "tick (timer): ok" in result.output
    assert "drain: idle: every queue is empty" in result.output
    assert os.environ["TICK"] == "0 0 * * * *"  # local.settings.json's values reach the functions' environment
    assert messages_in(storage_connection, unique_name) == 0

    unknown = CliRunner().invoke(cli, ["host", "--no-azurite", "--fire", "tock", "--app-dir", str(tmp_path)])
    assert unknown.exit_code == 2 and "no timer function named 'tock' (there are: tick)" in unknown.output
