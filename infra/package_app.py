"""Zip the Functions app's code for zip deploy: what `func azure functionapp publish` would send.

The same files as Core Tools takes: the project's root less what `.funcignore` names (the agent, the
local stand-ins, tests, docs). The Python packages are not in it: the platform installs
requirements.txt (a remote build). Usage: python infra/package_app.py dist/cynare-link-app.zip
"""

from __future__ import annotations

import fnmatch
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALWAYS_LEFT_OUT = ("__pycache__", "*.pyc", ".*_cache", ".venv*", "dist", "build", "*.egg-info", "infra")


def ignored_patterns(root: Path) -> list[str]:
    lines = (root / ".funcignore").read_text(encoding="utf-8").splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip() and not line.startswith("#")]


def is_left_out(relative: Path, patterns: list[str]) -> bool:
    """A .funcignore pattern names a path from the root (`cynare/agent`) or any file or folder name (`*.pyc`)."""
    text = relative.as_posix()
    for pattern in (*patterns, *ALWAYS_LEFT_OUT):
        if "/" in pattern:
            if text == pattern or text.startswith(pattern + "/"):
                return True
        elif any(fnmatch.fnmatch(part, pattern) for part in relative.parts):
            return True
    return False


def package(root: Path, target: Path) -> list[str]:
    patterns = ignored_patterns(root)
    names = sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and not is_left_out(path.relative_to(root), patterns)
    )
    for needed in ("function_app.py", "host.json", "requirements.txt"):
        if needed not in names:
            raise SystemExit(f"{needed} is missing from {root}: run this from a whole checkout of the project")
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.write(root / name, name)
    return names


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python infra/package_app.py <zip file to write>", file=sys.stderr)
        return 2
    names = package(ROOT, Path(argv[1]))
    print(f"wrote {argv[1]}: {len(names)} files; deploy it with az functionapp deployment source config-zip")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
