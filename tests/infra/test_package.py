"""The zip deployed to Azure (`make app-zip`) holds the app and what it imports, and none of the rest."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.infra.bicep import INFRA

ROOT = INFRA.parent
_spec = importlib.util.spec_from_file_location("package_app", INFRA / "package_app.py")  # infra/ is no package
assert _spec is not None and _spec.loader is not None
package_app = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(package_app)
package = package_app.package


def test_the_zip_holds_the_app_without_the_agent_the_stand_ins_or_the_tests(tmp_path: Path) -> None:
    target = tmp_path / "app.zip"
    names = package(ROOT, target)
    assert {"function_app.py", "host.json", "requirements.txt", "cynare/bootstrap.py"} <= set(names)
    for left_out in ("cynare/agent/", "cynare/sandbox/", "tests/", "docs/", "infra/", ".venv", "node_modules/"):
        assert not [name for name in names if name.startswith(left_out)], left_out
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    assert sorted(zipfile.ZipFile(target).namelist()) == names


def test_the_app_imports_from_the_zip_alone(tmp_path: Path) -> None:
    package(ROOT, tmp_path / "app.zip")
    unpacked = tmp_path / "site"
    zipfile.ZipFile(tmp_path / "app.zip").extractall(unpacked)
    probe = (
        "import sys, function_app, cynare.bootstrap, cynare.presentation.pages.site, cynare.entrypoints.telemetry\n"
        "outside = [m for m, mod in sys.modules.items() if m.split('.')[0] == 'cynare'"
        " and not (getattr(mod, '__file__', None) or '').startswith(sys.argv[1])]\n"
        "print(outside)\n"
    )
    completed = subprocess.run([sys.executable, "-c", probe, str(unpacked)], cwd=unpacked, capture_output=True,
                               text=True, timeout=120, check=False)  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stdout.strip() == "[]", completed.stdout
