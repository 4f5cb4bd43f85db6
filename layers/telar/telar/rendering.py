"""The layer's one jinja2 Environment: print sheets and payslips (HTML, autoescaped) and e-mails (text).

Templates live in telar/templates/; every e-mail Telar sends is one under templates/mail/. Translations plug
in here (the i18n extension with a gettext catalog per language), for every template at once.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parent / "templates"

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    # names, stories and notes come from spreadsheets: never trust them as HTML; mail text is not HTML
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True, default=False),
    undefined=StrictUndefined,
    auto_reload=False,  # templates ship with the layer and never change under a running function
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str


def render_mail(name: str, **context: Any) -> Mail:
    """``templates/mail/<name>.txt.j2`` rendered: its first line is the subject, the text follows a blank line.

    The text ends with exactly one line break, as mail text does, whatever the template's last block left.
    """
    subject, _, text = environment.get_template(f"mail/{name}.txt.j2").render(**context).partition("\n\n")
    return Mail(subject=subject, text=text.rstrip("\n") + "\n")
