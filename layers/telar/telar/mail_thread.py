"""The conversation an e-mail reply belongs to, and how it travels with a mailed upload (S3 user metadata).

A sheet that came by e-mail is answered in the sender's thread: In-Reply-To and References name the message
answered, the subject is hers with "Re: ". telar.inbound reads the thread off a received message; the upload
stages read it back from the stored sheet's metadata. Kept apart from telar.inbound, whose MIME parsing only the
inbound mail function needs, so the others do not load it at init (issue 18).
"""

import re
import unicodedata
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote, unquote

_MESSAGE_ID = re.compile(r"<[!-;=?-~]{1,250}>")  # printable ASCII without < > or spaces: nothing to inject


def one_line(text: str, limit: int = 200) -> str:
    """User text made safe for one header line: controls and line breaks become spaces, runs of spaces one."""
    flat = "".join(" " if unicodedata.category(ch) in {"Cc", "Cs", "Zl", "Zp"} else ch for ch in text)
    return " ".join(flat.split())[:limit]


def message_ids(text: str | None) -> tuple[str, ...]:
    """The message-ids in a header's text, in order; anything else in it (a hostile header's rest) is left out."""
    return tuple(_MESSAGE_ID.findall(text or ""))


@dataclass(frozen=True)
class MailThread:
    """What a reply needs to land in the sender's conversation: whom, and the headers that thread it."""

    recipient: str
    message_id: str | None  # the message answered: In-Reply-To
    references: tuple[str, ...]  # its References, then its Message-ID
    subject: str  # the message's subject; the reply's is "Re: " + this

    @property
    def reply_subject(self) -> str:
        flat = one_line(self.subject)
        return flat if flat.lower().startswith("re:") else f"Re: {flat}".strip()


# -- the thread, carried to the upload pipeline in S3 metadata (US-ASCII, 2 KB in all) ----------------------

# S3 refuses an object whose user metadata (keys and values, in bytes) is over 2 KB; this leaves room to spare.
MAX_THREAD_METADATA_BYTES: Final = 1_800
_AS_IS = "".join(chr(c) for c in range(33, 127) if chr(c) != "%")  # printable ASCII stays as it is; "%" escapes

_META_FROM = "telar-mail-from"
_META_ID = "telar-mail-message-id"
_META_REFS = "telar-mail-references"
_META_SUBJECT = "telar-mail-subject"


def thread_metadata(thread: MailThread) -> dict[str, str]:
    """S3 user metadata naming the sender and the message a sheet came in, for the reply that answers it.

    At most MAX_THREAD_METADATA_BYTES: the sender and the message answered always fit (an address and a
    message-id are at most ~250 characters each); then the newest of its references that fit, then its subject,
    cut to fit (a Thai subject takes 9 characters a letter once escaped).
    """
    meta = {_META_FROM: _escaped(thread.recipient)}
    if thread.message_id:
        meta[_META_ID] = _escaped(thread.message_id)
    subject_key = len(_META_SUBJECT)
    references: list[str] = []
    for reference in reversed(thread.references[-4:]):
        with_it = {**meta, _META_REFS: _escaped(" ".join([reference, *references]))}
        if _metadata_bytes(with_it) + subject_key > MAX_THREAD_METADATA_BYTES:
            break
        references.insert(0, reference)
    if references:
        meta[_META_REFS] = _escaped(" ".join(references))
    room = MAX_THREAD_METADATA_BYTES - _metadata_bytes(meta) - subject_key
    subject = one_line(thread.subject, 120)
    while len(_escaped(subject)) > room:
        subject = subject[:-1]
    meta[_META_SUBJECT] = _escaped(subject)
    return meta


def _escaped(text: str) -> str:
    return quote(text, safe=_AS_IS)


def _metadata_bytes(meta: dict[str, str]) -> int:
    return sum(len(key) + len(value) for key, value in meta.items())  # all ASCII


def thread_from_metadata(metadata: dict[str, str]) -> MailThread | None:
    """The thread an upload came in by e-mail, or None for an upload made any other way."""
    sender = unquote(metadata.get(_META_FROM, ""))
    if not sender or one_line(sender, 254) != sender or "@" not in sender:
        return None
    message_id = next(iter(message_ids(unquote(metadata.get(_META_ID, "")))), None)
    return MailThread(
        recipient=sender,
        message_id=message_id,
        references=message_ids(unquote(metadata.get(_META_REFS, ""))),
        subject=one_line(unquote(metadata.get(_META_SUBJECT, ""))),
    )
