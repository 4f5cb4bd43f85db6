"""Records the texts telar's templates hand to ``_``: ``telar/templates/message_ids.json`` (``make texts``).

telar.rendering checks at import that every language file translates exactly these texts (and the console's,
telar.console.texts); it reads them from the recorded file rather than parsing every template in each function's
init. tests/unit/test_mail_templates.py fails while the file differs from what the templates say.
"""

import json
from pathlib import Path

from jinja2 import Environment
from jinja2.ext import extract_from_ast

TEMPLATES = Path(__file__).resolve().parent.parent / "layers" / "telar" / "telar" / "templates"
FILE = TEMPLATES / "message_ids.json"
FOLDERS = ("mail", "console")


def template_message_ids(folder: str) -> list[str]:
    """Every English text the templates of ``templates/<folder>/`` hand to ``_``, sorted."""
    # the syntax telar.rendering's environment has; nothing is rendered, so escaping does not arise
    environment = Environment(trim_blocks=True, lstrip_blocks=True, autoescape=True)
    found: set[str] = set()
    for path in sorted((TEMPLATES / folder).glob("*.j2")):
        parsed = environment.parse(path.read_text(encoding="utf-8"))
        for _, _, strings in extract_from_ast(parsed, ("_",), babel_style=False):
            if isinstance(strings, tuple) and strings and isinstance(strings[0], str):
                found.add(strings[0])  # the message; its values come as keywords
    return sorted(found)


def recorded() -> str:
    """The file's text for the templates as they are."""
    return json.dumps({f: template_message_ids(f) for f in FOLDERS}, indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    FILE.write_text(recorded(), encoding="utf-8")
