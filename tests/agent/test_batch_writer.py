"""The batching writer writes the same bytes and hash as the contract's own DatasetWriter."""

from __future__ import annotations

import hashlib
from pathlib import Path

from cynare.agent.batch_writer import BatchingWriter
from cynare.extract.writer import DatasetWriter


def test_same_bytes_and_hash_as_the_contract_writer(tmp_path: Path) -> None:
    rows = [[f"B{n}", str(n % 4 + 1), 'Advice, "urgent"\nsecond line', "4000", "S", "100.00", "20.00", "LON", "", ""]
            for n in range(5000)]  # fmt: skip
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    plain = DatasetWriter(tmp_path / "a", "bill_lines")
    for row in rows:
        plain.write(dict(zip(plain.dataset.columns, row, strict=True)))
    batching = BatchingWriter(tmp_path / "b", "bill_lines")
    batching.write_rows(rows[:1234])
    batching.write_rows(rows[1234:])
    expected, got = plain.close(), batching.close()
    assert got == expected and got.rows == 5000
    data = (tmp_path / "b" / "bill_lines.csv").read_bytes()
    assert data == (tmp_path / "a" / "bill_lines.csv").read_bytes()
    assert hashlib.sha256(data).hexdigest() == got.sha256
