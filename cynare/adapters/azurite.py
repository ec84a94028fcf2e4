"""Start and stop the Azurite storage emulator on free loopback ports (tests and `make demo`)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

# Azurite's published development account: not a secret, the same on every machine.
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class AzuriteNotInstalled(RuntimeError):
    pass


class AzuriteStartError(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _azurite_binary() -> str:
    local = PROJECT_ROOT / "node_modules" / ".bin" / "azurite"
    if local.exists():
        return str(local)
    found = shutil.which("azurite")
    if found is None:
        raise AzuriteNotInstalled("Azurite is not installed: run `npm ci` in the project folder (or `make install`)")
    return found


@dataclass
class Azurite:
    blob_port: int = 0
    queue_port: int = 0
    table_port: int = 0
    _process: subprocess.Popen[bytes] | None = None
    _errors: IO[bytes] | None = None

    @property
    def connection_string(self) -> str:
        host = "http://127.0.0.1"
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
            f"BlobEndpoint={host}:{self.blob_port}/{ACCOUNT};"
            f"QueueEndpoint={host}:{self.queue_port}/{ACCOUNT};"
            f"TableEndpoint={host}:{self.table_port}/{ACCOUNT};"
        )

    def start(self, timeout: float = 60.0, attempts: int = 3) -> Azurite:
        """Start on three free ports; if another process took one of them first, try fresh ports."""
        for attempt in range(1, attempts + 1):
            try:
                return self._start_once(timeout)
            except AzuriteStartError:
                self.stop()
                if attempt == attempts:
                    raise
        raise AssertionError("unreachable")

    def _start_once(self, timeout: float) -> Azurite:
        self.blob_port, self.queue_port, self.table_port = _free_port(), _free_port(), _free_port()
        command = [
            _azurite_binary(),
            "--silent",
            "--inMemoryPersistence",
            "--skipApiVersionCheck",  # the current SDKs send API versions Azurite does not know yet
            "--loose",
            "--disableProductStyleUrl",
            "--blobHost", "127.0.0.1", "--blobPort", str(self.blob_port),
            "--queueHost", "127.0.0.1", "--queuePort", str(self.queue_port),
            "--tableHost", "127.0.0.1", "--tablePort", str(self.table_port),
        ]  # fmt: skip
        # stderr goes to a file: a pipe nobody reads would stall Azurite once it filled.
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=self._errors)  # noqa: S603
        deadline = time.monotonic() + timeout
        for port in (self.blob_port, self.queue_port, self.table_port):
            while not _listening(port):
                if self._process.poll() is not None:
                    self._errors.seek(0)
                    error = self._errors.read().decode(errors="replace")
                    raise AzuriteStartError(f"Azurite stopped at start: {error.strip()}")
                if time.monotonic() > deadline:
                    self.stop()
                    raise TimeoutError(f"Azurite did not listen on port {port} within {timeout} s")
                time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._errors is not None:
            self._errors.close()
            self._errors = None

    def __enter__(self) -> Azurite:
        return self.start()

    def __exit__(self, *exc: object | type[BaseException] | TracebackType | None) -> None:
        self.stop()


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0
