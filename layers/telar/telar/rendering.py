"""The layer's one jinja2 Environment: print sheets and payslips (HTML, autoescaped) and e-mails (text).

Templates live in telar/templates/; every e-mail Telar sends is one under templates/mail/, whose text is also
sent as HTML through the one layout ``templates/mail/_layout.html.j2``.

E-mails in the reader's language: a template writes its words as ``{{ _("Hello %(name)s,", name=...) }}``,
English being the message id, and ``templates/mail_texts/<language>.json`` maps each id to its translation.
A new file adds a language, no code. At import every file must translate exactly the ids the templates use,
with the same ``%(placeholders)s``, or the module refuses to load: a mail is never half translated, and a
template edited without its translations fails the tests at once. The ids the templates use are recorded in
``templates/message_ids.json`` (``make texts`` writes it, local/texts.py; a unit test fails while it differs
from the templates), so a function's init reads one file instead of parsing every template (issue 18). A language
without a file is written in English, and the log says so.

Texts that code builds (why a sheet or an attachment was refused) are ``telar.messages``: their English is their
id in the same files, checked the same way, and ``_`` says a ``Text`` (or a value that is one) in the language.
"""

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telar.messages import ALL as CODE_MESSAGES
from telar.messages import Text
from telar.observability import logger

if TYPE_CHECKING:
    from jinja2 import Environment, Template

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def environment() -> "Environment":
    """The one jinja2 Environment, built on first use: jinja2 is ~30 ms of a cold start, and a stage imports this
    module for paths that write nothing (a retry whose mail went out, a rework round that is not needed...)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        # names, stories and notes come from spreadsheets: never trust them as HTML; mail text is not HTML
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True, default=False),
        undefined=StrictUndefined,
        auto_reload=False,  # templates ship with the layer and never change under a running function
        trim_blocks=True,
        lstrip_blocks=True,
    )


def get_template(name: str) -> "Template":
    """``templates/<name>``, from the one environment."""
    return environment().get_template(name)


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


MESSAGE_IDS = TEMPLATES / "message_ids.json"
"""The texts the templates of each folder (``mail``, ``console``) hand to ``_`` (``make texts`` records them)."""


def _message_ids(folder: str = "mail") -> set[str]:
    """Every English text the templates of ``templates/<folder>/`` hand to ``_`` (the mails; the console's pages),
    and for the mails every message code builds (telar.messages)."""
    found: set[str] = {m.english for m in CODE_MESSAGES} if folder == "mail" else set()
    return found | set(json.loads(MESSAGE_IDS.read_text(encoding="utf-8"))[folder])


def _load_mail_texts(folder: Path, ids: set[str]) -> dict[str, dict[str, str]]:
    catalogs: dict[str, dict[str, str]] = {}
    for path in sorted(folder.glob("*.json")):
        catalog = json.loads(path.read_text(encoding="utf-8"))
        if set(catalog) != ids:
            missing, extra = sorted(ids - set(catalog)), sorted(set(catalog) - ids)
            raise ValueError(f"{folder.name}/{path.name}: untranslated {missing}, unused {extra}")
        for message, translated in catalog.items():
            if sorted(_PLACEHOLDER.findall(translated)) != sorted(_PLACEHOLDER.findall(message)):
                raise ValueError(f"{folder.name}/{path.name}: {message!r} must keep its %(placeholders)s")
        catalogs[path.stem] = catalog
    return catalogs


MAIL_TEXTS: dict[str, dict[str, str]] = _load_mail_texts(TEMPLATES / "mail_texts", _message_ids())


def translator(language: str) -> Any:
    """``_(message, **values)`` in ``language``: the English message when there is no file for it (logged).

    ``message`` may be a ``telar.messages.Text``, and so may any value: each is said in ``language`` too.
    """
    catalog = MAIL_TEXTS.get(language)
    if catalog is None and language != "en":
        logger.warning("no mail texts for this language: written in English", language=language)

    def _(message: str, **values: Any) -> str:
        if isinstance(message, Text):  # built by code: its own message and values
            values = {**message.values, **values}
            message = message.message
        text = (catalog or {}).get(message, message)
        values = {name: _(value) if isinstance(value, Text) else value for name, value in values.items()}
        return text % values if values else text

    return _


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    html: str  # the same words, for mail programs that show HTML (templates/mail/_layout.html.j2)


def render_mail(name: str, language: str = "en", **context: Any) -> Mail:
    """``templates/mail/<name>.txt.j2`` rendered in ``language``: its first line is the subject, the text follows
    a blank line.

    The text ends with exactly one line break, as mail text does, whatever the template's last block left. The
    HTML alternative is made from the text, so the words have one source and every mail one layout.
    """
    rendered = get_template(f"mail/{name}.txt.j2").render(**context, _=translator(language))
    subject, _, text = rendered.partition("\n\n")
    text = text.rstrip("\n") + "\n"
    html = get_template("mail/_layout.html.j2").render(
        lang=language if language in MAIL_TEXTS else "en", subject=subject, blocks=_html_blocks(text)
    )
    return Mail(subject=subject, text=text, html=html)


# a link ends before the punctuation that closes its sentence: "... at https://x.example/a." links .../a
_LINK = re.compile(r"(https?://[^\s<>\"']*[^\s<>\"'.,;:!?)\]])")

_Line = list[tuple[str, str | None]]  # pieces of a line: (words, link or None)


def _html_blocks(text: str) -> list[tuple[str, list[_Line]]]:
    """The text as ("p", lines) and ("ul", items) blocks: a blank line ends a paragraph, "- " starts an item."""
    blocks: list[tuple[str, list[_Line]]] = []
    for chunk in text.split("\n\n"):
        previous = None  # a block never runs over a blank line
        for line in chunk.splitlines():
            if not line.strip():
                continue
            kind = "ul" if line.startswith("- ") else "p"
            pieces = _LINK.split(line.removeprefix("- ").strip())
            words: _Line = [(piece, piece if i % 2 else None) for i, piece in enumerate(pieces) if piece]
            if kind == previous:
                blocks[-1][1].append(words)
            else:
                blocks.append((kind, [words]))
            previous = kind
    return blocks
