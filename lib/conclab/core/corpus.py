"""An offline English-like corpus: the documents the course counts letters in.

Introduced in ``01_processes_and_threads.ipynb``. The original notes fetched
RFCs 1000–1019 from the internet; the course uses look-alike documents
1000–1019 (served from ``127.0.0.1`` by :mod:`conclab.core.server`), so I/O
works offline, in a classroom and in CI.

The text is generated, not shipped: a fixed vocabulary of common English words
drawn with Zipf-like weights by a pseudo-random stream made of SHA-256 digests
of a counter. Only integer arithmetic and ``hashlib`` are involved, so every
Python version on every platform produces the same bytes (the ``random``
module's ``choices``/``shuffle`` are not promised to stay the same).
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import struct
import textwrap
from collections.abc import Iterable, Iterator

from .validate import check_int

__all__: list[str] = ["DOCUMENT_NUMBERS", "document", "documents"]


#: The documents of the course, numbered like the RFCs the notes fetched.
DOCUMENT_NUMBERS = tuple(range(1000, 1020))


def document_path(number: int) -> str:
    """Where a server keeps document ``number``: ``/rfc/rfc1000.txt``, the
    layout of the RFC editor the notes fetched from (written only here)."""
    return f"/rfc/rfc{number}.txt"


# Common English words, most frequent first (weights fall off like 1/rank).
_WORD_TEXT = """
the of and to a in is that for it as was with be by on not he this are or his
from at which but have an they you were her she there one all we their can has
been more if will would so no when who what its out up into them some time only
other new than then these two may any could about first also do like over such
our after most made many before must through back years where much your way
well down should because each just those people how too little state good very
make world still own see men work long here between both life being under never
day same another know while last might us great old year off come since against
go came right used take three states himself few house use during without again
place around however home small found thought went say part once general high
upon school every does got united left number course war until always away
something fact water though less public put think almost hand enough far took
head yet government system better set told nothing night end why called didn
eyes find going look asked later knew point next program city business give
group toward young days let room president side social given present several
order national second possible rather per face among form important often
things looking early white case john become large big need four within felt
along children saw best church ever least power development light thing seemed
family interest want members mind country area others although turn done open
god service certain kind problem began different door thus help sense means
whole matter perhaps itself york times law human line above name example action
company hands local show whether five history gave today either act feet across
taken past quite anything seen having death experience body word half really
week field car words already themselves information tell together college shall
money period held keep sure free seems political real behind question air office
making brought whose special heard major problems ago became federal study
available known result street economic boy position reason change south board
individual job society areas west close turned community true court force full
network host protocol message data packet address server request reply user
file text mail remote access control value query quick zone size jump quiet
exactly object subject move box six next zero lazy puzzle jazz
"""

_WORDS = tuple(_WORD_TEXT.split())

_CUMULATIVE: list[int] = []

_total = 0

for _rank, _ in enumerate(_WORDS):
    _total += 1_000_000 // (_rank + 3)
    _CUMULATIVE.append(_total)

_TOTAL_WEIGHT = _total

del _rank, _total


def _numbers(seed: bytes) -> Iterator[int]:
    """Deterministic 32-bit numbers: SHA-256 of ``seed:counter``, 8 per digest."""
    for counter in itertools.count():
        yield from struct.unpack(
            ">8I", hashlib.sha256(b"%s:%d" % (seed, counter)).digest()
        )


class _Stream:
    """The pseudo-random choices of one document (integer arithmetic only)."""

    def __init__(self, seed: str) -> None:
        self.next = _numbers(seed.encode("ascii")).__next__

    def below(self, n: int) -> int:
        return self.next() % n

    def words(self, count: int) -> list[str]:
        draw, cumulative, total = self.next, _CUMULATIVE, _TOTAL_WEIGHT
        pick = bisect.bisect_right
        return [_WORDS[pick(cumulative, draw() % total)] for _ in range(count)]


def _sentence(stream: _Stream) -> str:
    words = stream.words(5 + stream.below(14))
    for i in range(1, len(words) - 1):
        if stream.below(10) == 0:
            words[i] += ","
    words[0] = words[0].capitalize()
    return " ".join(words) + ("?" if stream.below(20) == 0 else ".")


@functools.lru_cache(maxsize=256)
def document(number: int) -> str:
    """The English-like text of document ``number`` (5–20 KB, ASCII).

    Deterministic: the same text on every Python version and platform. It
    starts with a title block, has paragraphs of lines wrapped at 72
    characters, and its letter frequencies look like English (e, t, a, o …
    most common). Any number from 1 to 99999 works; the course uses
    :data:`DOCUMENT_NUMBERS`.
    """
    check_int("number", number, minimum=1, maximum=99_999)
    stream = _Stream(f"conclab-document-{number}")
    target = 5_000 + stream.below(14_001)
    title = " ".join(stream.words(3 + stream.below(4))).title()
    lines = [f"Document {number}", "", title, ""]
    size = sum(len(line) + 1 for line in lines)
    while size < target:
        paragraph = " ".join(_sentence(stream) for _ in range(2 + stream.below(5)))
        block = [*textwrap.wrap(paragraph, 72), ""]
        lines.extend(block)
        size += sum(len(line) + 1 for line in block)
    return "\n".join(lines)


def documents(numbers: Iterable[int] = DOCUMENT_NUMBERS) -> dict[int, str]:
    """``{number: document(number)}`` for ``numbers`` (default: 1000–1019)."""
    return {number: document(number) for number in check_numbers(numbers)}


def check_numbers(numbers: Iterable[int]) -> tuple[int, ...]:
    if isinstance(numbers, (str, bytes)) or not isinstance(numbers, Iterable):
        raise TypeError(
            f"numbers must be an iterable of ints, got {type(numbers).__name__}"
        )
    out = tuple(numbers)
    for number in out:
        check_int("numbers", number, minimum=1, maximum=99_999)
    return out
