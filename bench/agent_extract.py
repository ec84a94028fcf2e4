"""Benchmark: extract about a million transactions from the scaled demo PMS; print rows/s and peak memory.

Targets: at least 50,000 rows a second, and peak memory under 200 MB whatever the size (streaming).
The demo PMS is built once and cached under out/bench/. The extract runs in a child process, so
its peak resident memory (getrusage maxrss) is the extract's alone.

    python bench/agent_extract.py [--scale 69]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CACHE = ROOT / "out" / "bench"
ROWS_TARGET = 50_000
MEMORY_TARGET_MB = 200


def _child(database: Path, work: Path) -> None:
    from cynare.agent.demo_pms import QUERIES
    from cynare.agent.extract import Extractor, Identity
    from cynare.agent.sources.sql import SqlSource
    from cynare.agent.state import AgentState

    shutil.rmtree(work, ignore_errors=True)
    state = AgentState(work / "state.sqlite")
    source = SqlSource(f"sqlite:///{database}", QUERIES, None)
    extractor = Extractor(source, state, Identity("sample-firm", "demo-pms-1", "Cynare Demo PMS"), work / "batches")
    started = time.perf_counter()
    outcomes = extractor.run(["UK", "IE", "US"], as_at=date(2026, 11, 25), full=True)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows = sum(outcome.rows for outcome in outcomes)
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak_kb / 1024}))


def _generator_version() -> str:
    """A cached demo PMS is rebuilt when the generator, its reference data or its schema change."""
    folder = ROOT / "cynare" / "agent" / "demo_pms"
    digest = hashlib.sha256()
    for name in ("generator.py", "reference.py", "schema.sql"):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()[:8]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=69, help="69 is about one million transactions")
    parser.add_argument("--child", nargs=2, metavar=("DATABASE", "WORK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(Path(args.child[0]), Path(args.child[1]))
        return
    from cynare.agent.demo_pms.generator import build_demo_pms

    database = CACHE / f"demo-pms-scale{args.scale}-{_generator_version()}.sqlite"
    summary_file = database.with_suffix(".json")
    if not database.exists() or not summary_file.exists():
        started = time.perf_counter()
        summary = build_demo_pms(database, scale=args.scale)
        summary_file.write_text(json.dumps({"transactions": summary.transactions, "clients": summary.clients}))
        print(f"built the demo PMS at scale {args.scale} in {time.perf_counter() - started:.0f} s: {database}")
    built = json.loads(summary_file.read_text())
    print(f"demo PMS: {built['clients']:,} clients, {built['transactions']:,} transactions")
    result = subprocess.run(
        [sys.executable, __file__, "--child", str(database), str(CACHE / "extract-work")],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    rate = figures["rows"] / figures["seconds"]
    print(f"extract: {figures['rows']:,} rows in {figures['seconds']:.1f} s = {rate:,.0f} rows/s "
          f"(target >= {ROWS_TARGET:,}: {'met' if rate >= ROWS_TARGET else 'NOT met'})")  # fmt: skip
    print(f"peak memory of the extract process: {figures['peak_mb']:.0f} MB "
          f"(target < {MEMORY_TARGET_MB}: {'met' if figures['peak_mb'] < MEMORY_TARGET_MB else 'NOT met'})")  # fmt: skip


if __name__ == "__main__":
    main()
