"""Words printed on the sheets production managers use (work sheet, QC template, attendance template), per group
language: ``templates/sheet_texts/<language>.json``, one file per language for a translator to edit.

The column headers and labelled cells the readers match are the English contract labels (``telar.sheets.qc_sheet``,
``telar.sheets.attendance_sheet``, documented in docs/spreadsheets.md) so any upload can be read; the words here
are the human hints printed next to them. English uses the contract labels themselves, so ``en.json`` leaves
them out and the other files translate them.

At import every file must have English's keys, the same ``{placeholders}`` in each text and as many lines in
each list, or the module refuses to load naming the file, key and language: a sheet is never printed half
translated or with a line of its instructions missing.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Final

from telar.sheets.attendance_sheet import ATTENDANCE_COLUMNS, LABEL_FILLED_BY, LABEL_GROUP_ID, LABEL_MONTH
from telar.sheets.qc_sheet import LABEL_ASSIGNMENT_ID, LABEL_DATE, LABEL_INSPECTED_BY, QC_COLUMNS

SHEET_TEXTS: Final = Path(__file__).resolve().parent.parent / "templates" / "sheet_texts"

# key -> the contract's English label: English's word for it wherever it is printed
CONTRACT_WORDS: Final[dict[str, str]] = {
    **QC_COLUMNS,
    "assignment_id": LABEL_ASSIGNMENT_ID,
    "inspected_by": LABEL_INSPECTED_BY,
    "date": LABEL_DATE,
    **ATTENDANCE_COLUMNS,
    "group_id": LABEL_GROUP_ID,
    "month": LABEL_MONTH,
    "filled_by": LABEL_FILLED_BY,
}

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class SheetTexts:
    """One language's file."""

    words: dict[str, str]  # labels, titles and column hints by key
    weekdays: list[str]  # Monday first
    qc_instructions: list[str]  # the QC template's Instructions sheet; the writer fills in {max_hours}
    attendance_instructions: list[str]  # the attendance template's Instructions sheet


def load_sheet_texts(folder: Path) -> dict[str, SheetTexts]:
    """Every ``<language>.json`` of ``folder``, checked against ``en.json`` (and the contract's English labels)."""
    found = {path.stem: _read(path) for path in sorted(folder.glob("*.json"))}
    english = found["en"]
    if set(english) != {field.name for field in fields(SheetTexts)}:
        raise ValueError(f"{folder.name}/en.json: must hold exactly {[field.name for field in fields(SheetTexts)]}")
    if contract := sorted(CONTRACT_WORDS.keys() & english["words"]):
        raise ValueError(f"{folder.name}/en.json: words {contract} are the contract's labels, kept in telar.sheets")
    english["words"] = {**CONTRACT_WORDS, **english["words"]}
    for language, texts in found.items():
        if problems := list(_departures(english, texts)):
            raise ValueError(f"{folder.name}/{language}.json (language {language}): {'; '.join(problems)}")
    return {language: SheetTexts(**texts) for language, texts in found.items()}


def _read(path: Path) -> dict[str, Any]:
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as error:  # a comma too many is the likeliest slip: say which file
        raise ValueError(f"{path.parent.name}/{path.name}: not an object of texts in JSON: {error}") from error


def _departures(english: object, translated: object, key: str = "") -> Iterator[str]:
    """Where ``translated`` departs from ``english``'s shape: each key (``words.rework``, ``qc_instructions.3``)
    and what is wrong there."""

    def at(name: object) -> str:
        return f"{key}.{name}" if key else str(name)

    if isinstance(english, dict):
        if not isinstance(translated, dict):
            yield f"{key} must be an object of texts, as in en"
            return
        for name, text in english.items():
            if name in translated:
                yield from _departures(text, translated[name], at(name))
            else:
                yield f"{at(name)} is missing"
        yield from (f"{at(name)} is not in en" for name in translated if name not in english)
    elif isinstance(english, list):
        if not isinstance(translated, list) or len(translated) != len(english):
            yield f"{key} must be a list of {len(english)} lines, as in en"
            return
        for index, (line, said) in enumerate(zip(english, translated, strict=True)):
            yield from _departures(line, said, at(index))
    elif not isinstance(translated, str):
        yield f"{key} must be a text"
    elif sorted(_PLACEHOLDER.findall(translated)) != sorted(_PLACEHOLDER.findall(str(english))):
        yield f"{key} must keep en's placeholders {_PLACEHOLDER.findall(str(english))}"


TEXTS: Final[dict[str, SheetTexts]] = load_sheet_texts(SHEET_TEXTS)


def texts_for(language: str) -> SheetTexts:
    """The sheet texts of ``language``, English for any language without a file."""
    return TEXTS.get(language, TEXTS["en"])


def labels_for(language: str) -> dict[str, str]:
    """The words of ``language`` by key, English for any language without a file."""
    return texts_for(language).words


def sheet_title(words: dict[str, str], title_key: str, group_name: str, rework_round: int = 0) -> str:
    """A sheet's title: what it is, "rework, round n" in her language for a rework round, and the group."""
    parts = [words[title_key], *([words["rework"].format(round=rework_round)] if rework_round else []), group_name]
    return " — ".join(parts)
