"""Write the sample reference workbook (and an empty template) from reference.json and buyers.json.

The demo, the local cloud and the tests load their reference data by importing ``reference.xlsx``
through the same path as staff uploads (telar.stages.reference_upload); the JSON files stay the
readable source of these samples. A unit test checks that the workbook holds exactly the JSON's data.

Usage::

    PYTHONPATH=layers/telar python samples/make_reference_book.py
"""

from __future__ import annotations

import json
from pathlib import Path

from telar.models import Buyer, ReferenceBook, ReferenceData
from telar.sheets.reference_book import write_reference_book

HERE = Path(__file__).resolve().parent


def sample_book() -> ReferenceBook:
    """The samples as one book; buyers' sample API keys are not part of it (keys are issued, not imported)."""
    reference = ReferenceData.model_validate_json((HERE / "reference.json").read_text(encoding="utf-8"))
    buyers = json.loads((HERE / "buyers.json").read_text(encoding="utf-8"))
    return ReferenceBook(
        reference=reference,
        buyers=tuple(Buyer.model_validate({k: v for k, v in b.items() if k != "api_key"}) for b in buyers),
    )


def main() -> None:
    (HERE / "reference.xlsx").write_bytes(write_reference_book(sample_book()))
    (HERE / "reference-template.xlsx").write_bytes(write_reference_book())
    print(f"wrote {HERE / 'reference.xlsx'} and {HERE / 'reference-template.xlsx'}")


if __name__ == "__main__":
    main()
