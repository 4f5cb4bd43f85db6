"""Files another process polls are written whole: a reader never sees them empty or half-written."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from local.files import write_atomically

PAYLOAD_ITEMS = 20_000  # about 400 KB: many write() calls, so a plain write_text is caught half-way


def _write_many(path: str, times: int) -> None:
    for version in range(times):
        write_atomically(Path(path), json.dumps({"version": version, "items": list(range(PAYLOAD_ITEMS))}))


def test_a_reader_polling_without_pause_only_ever_reads_complete_json(tmp_path: Path) -> None:
    # Given another process rewriting a large JSON file 200 times
    path = tmp_path / "outputs.json"
    writer = multiprocessing.get_context("spawn").Process(target=_write_many, args=(str(path), 200))
    writer.start()
    # When this process reads it as fast as it can while the writer runs
    versions: list[int] = []
    while writer.is_alive() or not versions:
        try:
            text = path.read_text()
        except FileNotFoundError:
            continue
        document = json.loads(text)  # Then every read parses: no empty or half-written file
        assert len(document["items"]) == PAYLOAD_ITEMS
        versions.append(document["version"])
    writer.join()
    assert writer.exitcode == 0
    # And the reads saw many versions, in order, ending with the last
    assert len(set(versions)) > 1 and versions == sorted(versions)
    assert json.loads(path.read_text())["version"] == 199
    # And no temporary file is left beside it
    assert [p.name for p in tmp_path.iterdir()] == ["outputs.json"]


def test_refusing_to_replace_keeps_the_first_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    # Given a message already written
    path = write_atomically(tmp_path / "0001-order.eml", b"first", replace=False)
    # When another is written under the same name without replace
    with pytest.raises(FileExistsError):
        write_atomically(path, b"second", replace=False)
    # Then the first is untouched and nothing else is in the folder
    assert path.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["0001-order.eml"]
