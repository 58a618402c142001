"""Regular expressions written by users, run in linear time (RE2).

Python's `re` backtracks: `((\\w+)*)*!` against a 60-character run name never
finishes, and it holds the GIL while it tries, so one request would stop every
route of TensorBoard. Every pattern that arrives over HTTP or on the command
line is compiled here with RE2 (`google-re2`), whose matching time is linear in
the pattern and the text. RE2 has no backtracking constructs; a pattern that
uses one (backreferences, lookaround, atomic groups, possessive quantifiers)
is refused with the construct's name, as is one longer than `MAX_PATTERN_CHARS`.

A pattern means what it means in Python: RE2's `\\d`, `\\w`, `\\s` and `\\b` are
ASCII-only, so `\\d`, `\\w`, `\\s` (and their negations) are rewritten to the
Unicode classes Python's `re` uses for text (`\\p{Nd}`, letters, digits and
`_`, Unicode space) before compiling. `\\b`/`\\B` stay ASCII word boundaries,
and Python's `\\Z` is RE2's `\\z`.

Raises `params.ParamError` (HTTP 400, CLI exit 2) for every refused pattern.
"""

from __future__ import annotations

from typing import Optional

import re2

from tb_overfit_plugin.analysis.wording import quoted
from tb_overfit_plugin.documents.params import MAX_PATTERN_CHARS, ParamError

# Python's classes for text patterns (`re.UNICODE`), in RE2's syntax; the
# bracket-free form is what goes inside a character class.
_CLASSES = {
    "d": r"\p{Nd}",
    "w": r"\p{L}\p{N}_",
    "s": r"\s\x{0b}\x{1c}-\x{1f}\x{85}\p{Z}",
}
# What RE2 refuses that Python accepts, by how it starts: the name a user knows it by.
_UNSUPPORTED = (
    ("(?=", "lookahead (?=...)"),
    ("(?!", "negative lookahead (?!...)"),
    ("(?<=", "lookbehind (?<=...)"),
    ("(?<!", "negative lookbehind (?<!...)"),
    ("(?P=", "named backreference (?P=name)"),
    ("(?>", "atomic group (?>...)"),
    ("(?#", "comment (?#...)"),
    ("(?(", "conditional (?(...)...)"),
)
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused pattern is the user's 400, not a line in TensorBoard's log


class _Unsupported(ValueError):
    """A Python construct this module cannot give its Python meaning in RE2."""


def _translate(pattern: str) -> str:
    """`pattern` with Python's Unicode `\\d \\w \\s \\D \\W \\S` and `\\Z` in RE2's spelling.

    One left-to-right pass that keeps every other escape as it is and knows
    whether it is inside a character class, where a class is spliced in
    without brackets and `\\D` is `\\P{Nd}`.

    Raises:
      _Unsupported: `\\W` or `\\S` inside a character class.
    """
    out, i, in_class = [], 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            letter = pattern[i + 1]
            out.append(_escape(letter, in_class))
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
            out.append(char)
            # `[]...]` and `[^]...]`: a leading `]` is a literal, not the end.
            for lead in ("^", "]"):
                if pattern.startswith(lead, i + 1):
                    out.append(lead)
                    i += 1
        elif char == "]" and in_class:
            in_class = False
            out.append(char)
        else:
            out.append(char)
        i += 1
    return "".join(out)


def _escape(letter: str, in_class: bool) -> str:
    """RE2's spelling of the escape `\\letter` (see `_translate`)."""
    if letter == "Z" and not in_class:
        return r"\z"
    lower = letter.lower()
    if lower not in _CLASSES:
        return "\\" + letter
    body = _CLASSES[lower]
    if letter == lower:
        return body if in_class else f"[{body}]"
    if not in_class:
        return f"[^{body}]"
    if letter == "D":
        return r"\P{Nd}"
    raise _Unsupported(
        f"\\{letter} inside [...] is not supported (RE2 has no Unicode complement there); write (?:[^...]|...) instead"
    )


def _construct(pattern: str, message: str) -> str:
    """What a user calls the construct RE2 refused in `pattern`, else RE2's own message."""
    for start, name in _UNSUPPORTED:
        if start in pattern:
            return f"{name} is not supported (patterns run in linear time, RE2 syntax)"
    if "invalid escape sequence: \\" in message and message[-1:].isdigit():
        return "backreferences (\\1) are not supported (patterns run in linear time, RE2 syntax)"
    if "bad repetition operator" in message and any(p in pattern for p in ("++", "*+", "?+", "}+")):
        return "possessive quantifiers (a++) are not supported (patterns run in linear time, RE2 syntax)"
    return f"invalid regular expression: {message}"


def compile_pattern(name: str, pattern: Optional[str], groups: int = 0):
    """`pattern` compiled by RE2 (an object with `search`, `groups`, like `re.Pattern`).

    Args:
      name: the parameter it came in (named by errors).
      pattern: the user's text; None or "" matches everything.
      groups: how many capture groups it needs at least.

    Raises:
      ParamError: longer than `MAX_PATTERN_CHARS`, a construct RE2 cannot run,
        a syntax error, or fewer than `groups` capture groups.
    """
    pattern = pattern or ""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise ParamError(
            name, f"a regular expression of at most {MAX_PATTERN_CHARS} characters, got {len(pattern)} characters"
        )
    try:
        compiled = re2.compile(_translate(pattern), _OPTIONS)
    except _Unsupported as error:
        raise ParamError(name, f"{error}: {quoted(pattern)}") from None
    except re2.error as error:
        detail = error.args[0] if error.args else ""
        message = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
        raise ParamError(name, f"{_construct(pattern, message)}: {quoted(pattern)}") from None
    if compiled.groups < groups:
        raise ParamError(name, f"needs a capture group, e.g. (.*)_seed\\d+; got {quoted(pattern)}")
    return compiled
