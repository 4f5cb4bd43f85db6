"""Files that another process polls (``outputs.json``, outbox ``.eml`` files) appear whole or not at all.

Why: a reader that waits for a file to exist can open it between ``open(..., "w")`` and the last
write, and read an empty or half-written file. Writing to a temporary name in the same folder and
renaming it into place is atomic on POSIX (and on Windows with ``os.replace``), so the final name
only ever holds complete content.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: str | bytes, *, replace: bool = True) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename it into place.

    Parameters
    ----------
    replace
        False refuses to overwrite an existing file (FileExistsError), as ``open(path, "x")`` would.
    """
    content = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    # A dot-name that no reader's glob (*.json, *.eml) matches, unique per writer.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails if path exists: never overwrite
            os.unlink(temporary)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
