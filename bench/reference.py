"""Reference workbooks: export and whole-book import of a large roster (the sample groups, 5,000 makers).

Best of three each, on the same bytes. Rows are every data row of the book (makers, consent changes, groups,
products, wage rules, buyers).
"""

from bench._timing import best_of
from samples.make_reference_book import sample_book
from telar.models import ReferenceBook
from telar.reference_book import book_problems
from telar.sheets.reference_book import read_reference_book, write_reference_book

MAKERS, ROUNDS = 5_000, 3


def _book() -> ReferenceBook:
    book = sample_book()
    ref = book.reference
    makers = tuple(
        template.model_copy(update={"worker_id": f"{template.worker_id}-{i:04d}"})
        for i in range(MAKERS // len(ref.makers) + 1)
        for template in ref.makers
    )[:MAKERS]
    return book.model_copy(update={"reference": ref.model_copy(update={"makers": makers})})


def run() -> dict[str, float]:
    book = _book()
    ref = book.reference
    rows = (
        len(ref.makers)
        + sum(len(m.consent) for m in ref.makers)
        + len(ref.groups)
        + len(ref.products)
        + len(ref.wage_rules)
        + len(book.buyers)
    )
    data = write_reference_book(book)
    assert read_reference_book(data, book_problems) == book
    write_seconds = best_of(ROUNDS, lambda: write_reference_book(book))
    read_seconds = best_of(ROUNDS, lambda: read_reference_book(data, book_problems))
    return {
        "reference.book_rows": float(rows),
        "reference.book_kilobytes": len(data) / 1000,
        "reference.export_rows_per_second": rows / write_seconds,
        "reference.import_rows_per_second": rows / read_seconds,
        "reference.import_seconds": read_seconds,
    }
