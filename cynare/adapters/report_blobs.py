"""Reports kept in Blob Storage: `reports/{YYYY-MM-DD}/{name}` (the HTML, the workbook, the chart, the Teams
card and the delivery note). A second run on one day replaces that day's files; earlier days stay."""

from __future__ import annotations

import contextlib
import re
from datetime import date

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import ContainerClient, ContentSettings

from cynare.adapters.blob_inbox import blob_service
from cynare.adapters.storage import StorageSettings

REPORTS_CONTAINER = "reports"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class BlobReportStore:
    def __init__(self, settings: StorageSettings, container: str = REPORTS_CONTAINER) -> None:
        self._container: ContainerClient = blob_service(settings).get_container_client(container)
        self._ready = False

    def save(self, day: date, name: str, content: bytes, content_type: str) -> str:
        path = self._path(day, name)
        if not self._ready:
            with contextlib.suppress(ResourceExistsError):
                self._container.create_container()
            self._ready = True
        self._container.upload_blob(path, content, overwrite=True,
                                    content_settings=ContentSettings(content_type=content_type))  # fmt: skip
        return f"{self._container.container_name}/{path}"

    def load(self, day: date, name: str) -> bytes | None:
        try:
            return self._container.download_blob(self._path(day, name)).readall()
        except ResourceNotFoundError:
            return None

    @staticmethod
    def _path(day: date, name: str) -> str:
        if not _NAME.fullmatch(name):
            raise ValueError(f"report file name {name!r} must be letters, digits, dots, dashes or underscores")
        return f"{day.isoformat()}/{name}"
