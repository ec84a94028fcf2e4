"""checkov over infra/: no failed check, no file it could not parse, and every skip with its reason beside it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.infra.bicep import INFRA
from tests.infra.checkov import Report, run_checkov

SKIP = re.compile(r"checkov:skip=(CKV2?_[A-Z]+_\d+)(:?)(.*)")


@pytest.fixture(scope="module")
def report() -> Report:
    return run_checkov(INFRA)


def test_checkov_finds_no_failed_check_and_parses_every_file(report: Report) -> None:
    assert report.problems() == []
    bicep_files = sorted(INFRA.rglob("*.bicep"))
    assert len(bicep_files) >= 8
    assert report.resource_count >= 60  # every module was read: a skipped file would lower this
    assert report.passed > 0


def test_every_skip_sits_beside_its_resource_with_a_reason(report: Report) -> None:
    for path in INFRA.rglob("*.bicep"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = SKIP.search(line)
            if match:
                assert line.lstrip().startswith("// checkov:skip="), f"{path.name}:{number}: a skip is a comment line"
                assert match[2] == ":" and len(match[3].strip()) > 20, f"{path.name}:{number}: say why"
    assert report.skipped, "the skips above are read by checkov"
    assert all(check["check_result"].get("suppress_comment", "").strip() for check in report.skipped)


def test_a_file_checkov_cannot_parse_fails_like_a_failed_check(tmp_path: Path) -> None:
    shutil.copy(INFRA / "modules" / "network.bicep", tmp_path / "network.bicep")
    (tmp_path / "broken.bicep").write_text(
        "resource x 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: 'unterminated\n", encoding="utf-8"
    )
    # Valid Bicep that checkov's parser refuses all the same: a user-defined function.
    (tmp_path / "function.bicep").write_text("func greet(name string) string => 'hello ${name}'\n", encoding="utf-8")
    (tmp_path / "open.bicep").write_text(
        "resource open 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: 'openaccount'\n"
        "  location: 'uksouth'\n  kind: 'StorageV2'\n  sku: { name: 'Standard_LRS' }\n"
        "  properties: { allowBlobPublicAccess: true, minimumTlsVersion: 'TLS1_0' }\n}\n",
        encoding="utf-8",
    )
    report = run_checkov(tmp_path)
    # checkov fails nothing in the two files it could not read: their parse errors are the only sign.
    assert {Path(check["file_path"]).name for check in report.failed} == {"open.bicep"}
    assert sorted(Path(path).name for path in report.parsing_errors) == ["broken.bicep", "function.bicep"]
    problems = report.problems()
    assert sum(problem.startswith("checkov could not parse ") for problem in problems) == 2
    assert any(problem.startswith("CKV_AZURE_44 ") for problem in problems), problems  # TLS 1.0 fails
