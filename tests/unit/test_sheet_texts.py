"""The translator files of the sheets' words (templates/sheet_texts/): a file that departs from English is refused."""

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from telar.sheets.labels import SHEET_TEXTS, load_sheet_texts


def _shipped(language: str) -> dict[str, Any]:
    return json.loads((SHEET_TEXTS / f"{language}.json").read_text(encoding="utf-8"))


def _without_rework(texts: dict[str, Any]) -> None:
    del texts["words"]["rework"]


def _renamed_placeholder(texts: dict[str, Any]) -> None:
    texts["words"]["rework"] = "REPROCESO, ronda {ronda}"


def _line_dropped(texts: dict[str, Any]) -> None:
    texts["qc_instructions"].pop()


def _word_added(texts: dict[str, Any]) -> None:
    texts["words"]["colour"] = "Color"


def _list_for_a_text(texts: dict[str, Any]) -> None:
    texts["words"]["done"] = ["Hecho"]


@pytest.mark.parametrize(
    ("break_it", "problem"),
    [
        (_without_rework, "xx.json (language xx): words.rework is missing"),
        (_renamed_placeholder, "xx.json (language xx): words.rework must keep en's placeholders ['round']"),
        (
            _line_dropped,
            f"xx.json (language xx): qc_instructions must be a list of {len(_shipped('en')['qc_instructions'])} lines",
        ),
        (_word_added, "xx.json (language xx): words.colour is not in en"),
        (_list_for_a_text, "xx.json (language xx): words.done must be a text"),
    ],
)
def test_a_translation_that_departs_from_english_is_refused_by_file_key_and_language(
    tmp_path: Path, break_it: Callable[[dict[str, Any]], None], problem: str
) -> None:
    # Given English as shipped and a new language copied from Spanish, then broken by a translator's slip
    (tmp_path / "en.json").write_text(json.dumps(_shipped("en")), encoding="utf-8")
    translated = _shipped("es")
    break_it(translated)
    (tmp_path / "xx.json").write_text(json.dumps(translated), encoding="utf-8")
    # When the texts are loaded Then the file is refused, saying where, rather than a sheet printed half translated
    with pytest.raises(ValueError, match=re.escape(problem)):
        load_sheet_texts(tmp_path)


def test_a_copy_of_a_shipped_language_loads_with_english_contract_labels_filled_in(tmp_path: Path) -> None:
    # Given English and a new language that is a faithful copy of Thai
    (tmp_path / "en.json").write_text(json.dumps(_shipped("en")), encoding="utf-8")
    (tmp_path / "xx.json").write_text(json.dumps(_shipped("th")), encoding="utf-8")
    texts = load_sheet_texts(tmp_path)
    # Then it loads, and English says the contract's own labels, which en.json leaves to the code
    assert texts["xx"].words["rework"] == "งานแก้ไข (REWORK) รอบที่ {round}"
    assert texts["en"].words["worker_id"] == "Worker ID"
    assert texts["en"].words.keys() == texts["xx"].words.keys()


def test_english_may_not_restate_a_contract_label(tmp_path: Path) -> None:
    # Given en.json holding a label the readers match (a translator could change what uploads must say)
    english = _shipped("en")
    english["words"]["worker_id"] = "Worker ID"
    (tmp_path / "en.json").write_text(json.dumps(english), encoding="utf-8")
    # Then it is refused: the contract's labels stay in telar.sheets
    with pytest.raises(ValueError, match=r"en.json: words \['worker_id'\] are the contract's labels"):
        load_sheet_texts(tmp_path)


def test_a_file_that_is_not_json_is_named(tmp_path: Path) -> None:
    (tmp_path / "en.json").write_text(json.dumps(_shipped("en")), encoding="utf-8")
    (tmp_path / "xx.json").write_text('{"words": {"done": "Hecho",}}', encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape("xx.json: not an object of texts in JSON")):
        load_sheet_texts(tmp_path)
