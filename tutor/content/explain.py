"""Topic files: TOML front matter and Markdown prose, validated into frozen :class:`Topic` objects.

A topic file (``tutor/data/topics/ID.md``, format 1)::

    +++
    format_version = 1
    id = "bias-correction"              # the file's name; lowercase words joined by hyphens
    title = "Bias correction"
    group = "Adaptive methods"          # one of GROUPS
    summary = "Why Adam divides …"      # one line for the list of topics
    aliases = ["bias correction", …]    # other names it is found by
    related = ["adam", "adamw"]         # ids of other topics
    optimizer = "adam"                  # optional: a registered optimizer (its spec's hooks)
    example = "bias_correction"         # optional: a kind of worked example (tutor.content.hooks)

    [options]                           # optional: the example's inputs
    beta1 = 0.9
    +++

    ## Intuition
    …

The body has sections ``## Intuition``, ``## The math``, ``## Worked example``, ``## Pitfalls``,
``## Where libraries differ`` and ``## What the sources get wrong``, in that order (the first two
and Pitfalls are required; Worked example exactly when ``example`` is set). A section holds
paragraphs, ``- `` bullet lists, ``1. `` numbered lists, display math ``$$…$$`` on one line, and
placeholders alone on a line (:data:`tutor.content.hooks.PLACEHOLDERS`). Inline: ``$…$`` math in
the LaTeX subset of :mod:`tutor.content.texmath`, ```code```, ``**bold**``, ``*emphasis*`` and
``{{ default OPTIMIZER NAME }}``.

Loading is strict: unknown keys are errors, and every problem is reported as ``file: key:
message`` (``file: body line N: message`` in the text). :func:`check_topics` lints every file and
what needs all of them together (aliases, related ids) or the engine (optimizers,
hyper-parameters, example options).
"""

from __future__ import annotations

import difflib
import functools
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tutor.content import hooks
from tutor.content.texmath import TexError, normalize, to_unicode
from tutor.content.topics import TOPICS_DIR, topic_ids
from tutor.errors import TutorError

FORMAT_VERSION = 1

GROUPS = (
    "Gradient descent",
    "Momentum",
    "Adaptive methods",
    "Learning-rate schedules",
    "Second-order methods",
    "Optimization theory",
    "Losses and regularization",
    "Large-model training",
    "Reference",
)
"""Every group, in the order the list of topics shows them (a course's order)."""

SECTIONS = (
    "Intuition",
    "The math",
    "Worked example",
    "Pitfalls",
    "Where libraries differ",
    "What the sources get wrong",
)
REQUIRED_SECTIONS = ("Intuition", "The math", "Pitfalls")
EXAMPLE_SECTION = "Worked example"

_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_KEYS = {
    "format_version": "an integer",
    "id": "a string",
    "title": "a string",
    "group": "a string",
    "summary": "a string",
    "aliases": "an array of strings",
    "related": "an array of strings",
    "optimizer": "a string",
    "example": "a string",
    "options": "a table",
}
_REQUIRED_KEYS = ("format_version", "id", "title", "group", "summary", "aliases", "related")

# --- The parsed text -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Words:
    """Plain words (``bold`` for ``**…**`` and ``*…*``)."""

    text: str
    bold: bool = False


@dataclass(frozen=True)
class Formula:
    """Math: ``tex`` as LaTeX output prints it, ``plain`` its Unicode rendering."""

    tex: str
    plain: str


@dataclass(frozen=True)
class CodeText:
    """A name as typed in code (```Adam(weight_decay=…)```)."""

    text: str


@dataclass(frozen=True)
class DefaultValue:
    """``{{ default OPTIMIZER NAME }}``: that hyper-parameter's default, read from the spec."""

    optimizer: str
    name: str


Inline = Words | Formula | CodeText | DefaultValue


@dataclass(frozen=True)
class Prose:
    content: tuple[Inline, ...]


@dataclass(frozen=True)
class ItemList:
    items: tuple[tuple[Inline, ...], ...]
    numbered: bool = False


@dataclass(frozen=True)
class DisplayFormula:
    formula: Formula


@dataclass(frozen=True)
class Placeholder:
    """``{{ name }}`` alone on a line: a part computed when the topic is shown."""

    name: str


Part = Prose | ItemList | DisplayFormula | Placeholder


@dataclass(frozen=True)
class Section:
    title: str
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class Topic:
    """One validated topic file; see the module docstring for the fields."""

    id: str
    title: str
    group: str
    summary: str
    aliases: tuple[str, ...]
    related: tuple[str, ...]
    optimizer: str | None
    example: str | None
    options: Mapping[str, Any]
    sections: tuple[Section, ...]
    source: Path

    def placeholders(self) -> set[str]:
        return {p.name for s in self.sections for p in s.parts if isinstance(p, Placeholder)}

    def defaults(self) -> list[DefaultValue]:
        """Every ``{{ default … }}`` of the text."""
        found: list[DefaultValue] = []
        for section in self.sections:
            for part in section.parts:
                runs: Iterable[tuple[Inline, ...]] = ()
                if isinstance(part, Prose):
                    runs = (part.content,)
                elif isinstance(part, ItemList):
                    runs = part.items
                found += [p for run in runs for p in run if isinstance(p, DefaultValue)]
        return found


class TopicError(TutorError):
    """A topic file with problems: ``problems`` are lines ``file: key: message``."""

    def __init__(self, problems: list[str]) -> None:
        first = problems[0] if len(problems) == 1 else f"{len(problems)} problems: {problems[0]}"
        super().__init__("\n".join([first, *problems[1:]]) if len(problems) > 1 else first)
        self.problems = problems


# --- Inline text ---------------------------------------------------------------------------------

_INLINE = re.compile(r"(\$[^$]*\$|`[^`]*`|\{\{.*?\}\}|\*\*|\*)")


def _formula(tex: str) -> Formula:
    return Formula(normalize(tex), to_unicode(tex))


def parse_inline(text: str) -> tuple[Inline, ...]:
    """The inline pieces of a line of prose; a TutorError on unbalanced or unknown markup."""
    out: list[Inline] = []
    bold = False
    star = ""
    for piece in _INLINE.split(text):
        if not piece:
            continue
        if piece in ("**", "*"):
            if bold and piece != star:
                raise TutorError(f"'{star}' is closed by '{piece}'")
            bold, star = not bold, piece if not bold else ""
            continue
        if piece.startswith("$") and len(piece) > 1 and piece.endswith("$"):
            tex = piece[1:-1]
            if not tex.strip():
                raise TutorError("empty math $$ in a paragraph (display math goes on its own line)")
            try:
                out.append(_formula(tex))
            except TexError as error:
                raise TutorError(f"math ${tex}$: {error}") from None
        elif piece.startswith("`") and piece.endswith("`") and len(piece) > 1:
            out.append(CodeText(piece[1:-1]))
        elif piece.startswith("{{"):
            words = piece[2:-2].split()
            if len(words) != 3 or words[0] != "default":
                raise TutorError(
                    f"unknown inline placeholder {piece} (inline: {{{{ default OPTIMIZER NAME }}}})"
                )
            out.append(DefaultValue(words[1], words[2]))
        else:
            for mark in ("$", "`", "{{", "}}"):
                if mark in piece:
                    raise TutorError(f"unbalanced {mark!r} in {piece.strip()[:40]!r}")
            if out and isinstance(out[-1], Words) and out[-1].bold == bold:
                out[-1] = Words(out[-1].text + piece, bold)
            else:
                out.append(Words(piece, bold))
    if bold:
        raise TutorError(f"'{star}' is never closed")
    return tuple(out)


# --- Blocks --------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
_NUMBERED = re.compile(r"(\d+)\.\s+(.*)")


def _parse_body(text: str, first_line: int) -> tuple[list[Section], list[tuple[str, str]]]:
    """Sections of the Markdown body, and problems as ``(key, message)``."""
    problems: list[tuple[str, str]] = []
    sections: list[tuple[str, list[Part]]] = []
    paragraph: list[str] = []
    items: list[list[str]] = []
    numbered = False
    where = ""

    def fail(message: str) -> None:
        problems.append((where, message))

    def inline(line: str) -> tuple[Inline, ...]:
        try:
            return parse_inline(line)
        except TutorError as error:
            fail(str(error))
            return ()

    def flush() -> None:
        nonlocal paragraph, items
        if not sections and (paragraph or items):
            fail("text before the first '## ' section")
        elif paragraph:
            sections[-1][1].append(Prose(inline(" ".join(paragraph))))
        elif items:
            sections[-1][1].append(ItemList(tuple(inline(" ".join(i)) for i in items), numbered))
        paragraph, items = [], []

    for number, raw in enumerate(text.splitlines(), start=first_line):
        where = f"body line {number}"
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#"):
            flush()
            if not line.startswith("## ") or line.startswith("###"):
                fail("only '## ' section headings are allowed")
                continue
            sections.append((line[3:].strip(), []))
            continue
        placeholder = _PLACEHOLDER.fullmatch(line)
        display = line.startswith("$$")
        bullet = line.startswith("- ")
        item = _NUMBERED.fullmatch(line)
        if placeholder or display:
            flush()
            if not sections:
                fail("text before the first '## ' section")
                continue
            if placeholder:
                name = placeholder.group(1)
                if name not in hooks.PLACEHOLDERS:
                    known = ", ".join(hooks.PLACEHOLDERS)
                    fail(f"unknown placeholder {{{{ {name} }}}} (known: {known})")
                sections[-1][1].append(Placeholder(name))
            elif len(line) < 5 or not line.endswith("$$"):
                fail("display math must open and close with $$ on one line")
            else:
                try:
                    sections[-1][1].append(DisplayFormula(_formula(line[2:-2])))
                except TexError as error:
                    fail(f"math $${line[2:-2]}$$: {error}")
            continue
        if bullet or item:
            if paragraph or (items and numbered != bool(item)):
                flush()
            numbered = bool(item)
            items.append([line[2:] if bullet else item.group(2)])  # type: ignore[union-attr]
            continue
        if items and raw.startswith((" ", "\t")):
            items[-1].append(line)
            continue
        if items:
            flush()
        paragraph.append(line)
    flush()
    return [Section(title, tuple(parts)) for title, parts in sections], problems


def _check_sections(sections: list[Section], example: str | None) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    titles = [s.title for s in sections]
    for title in titles:
        if title not in SECTIONS:
            problems.append(("body", f"unknown section '## {title}' (use: {', '.join(SECTIONS)})"))
    known = [t for t in titles if t in SECTIONS]
    if known != sorted(known, key=SECTIONS.index) or len(set(known)) != len(known):
        problems.append(("body", f"sections must appear once each, in the order {SECTIONS}"))
    for title in REQUIRED_SECTIONS:
        if title not in titles:
            problems.append(("body", f"missing section '## {title}'"))
    for section in sections:
        for part in section.parts:
            misplaced = section.title != EXAMPLE_SECTION
            if isinstance(part, Placeholder) and part.name == "example" and misplaced:
                problems.append(("body", "{{ example }} belongs in '## Worked example'"))
    has_example = any(
        isinstance(p, Placeholder) and p.name == "example" for s in sections for p in s.parts
    )
    if example is not None and not has_example:
        problems.append(("example", "is set, but the text has no {{ example }}"))
    if example is None and (has_example or EXAMPLE_SECTION in titles):
        problems.append(("example", "missing: the text has a worked example but no example kind"))
    return problems


# --- Front matter --------------------------------------------------------------------------------


def _split(text: str) -> tuple[str, str, int]:
    """(front matter, body, the body's first line number)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "+++":
        raise TutorError("must start with a '+++' line (TOML front matter)")
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() == "+++":
            return "".join(lines[1:i]), "".join(lines[i + 1 :]), i + 2
    raise TutorError("the front matter is never closed by a '+++' line")


def _type_ok(key: str, value: Any) -> bool:
    if key == "format_version":
        return isinstance(value, int) and not isinstance(value, bool)
    if key in ("aliases", "related"):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if key == "options":
        return isinstance(value, dict)
    return isinstance(value, str)


def _front_matter(data: dict[str, Any], stem: str) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for key in data:
        if key not in _KEYS:
            close = difflib.get_close_matches(key, list(_KEYS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(_KEYS)})"
            problems.append((key, f"unknown key{hint}"))
    for key in _REQUIRED_KEYS:
        if key not in data:
            problems.append((key, "missing"))
    for key, value in data.items():
        if key in _KEYS and not _type_ok(key, value):
            problems.append((key, f"must be {_KEYS[key]}"))
    if problems:
        return problems
    if data["format_version"] != FORMAT_VERSION:
        return [("format_version", f"must be {FORMAT_VERSION}, got {data['format_version']}")]
    if data["id"] != stem:
        problems.append(("id", f"must be the file's name {stem!r}, got {data['id']!r}"))
    if not _ID.fullmatch(data["id"]):
        problems.append(("id", "must be lowercase letters and digits joined by single hyphens"))
    if data["group"] not in GROUPS:
        problems.append(("group", f"must be one of: {', '.join(GROUPS)}"))
    for key in ("title", "summary"):
        if not data[key].strip() or "\n" in data[key]:
            problems.append((key, "must be one non-empty line"))
    for key in ("aliases", "related"):
        for i, value in enumerate(data[key]):
            if not value.strip():
                problems.append((f"{key}[{i}]", "must not be blank"))
        if len({v.strip().lower() for v in data[key]}) != len(data[key]):
            problems.append((key, "lists the same name twice"))
    if "example" in data and data["example"] not in hooks.EXAMPLES:
        known = ", ".join(hooks.EXAMPLES)
        problems.append(("example", f"unknown example kind {data['example']!r} (known: {known})"))
    if "options" in data and "example" not in data:
        problems.append(("options", "needs an example that takes them"))
    return problems


def _line(source: Path, key: str, message: str) -> str:
    return f"{source}: {key}: {message}" if key else f"{source}: {message}"


def load_topic(path: Path) -> Topic:
    """Read and validate one topic file; a :class:`TopicError` lists every problem."""
    try:
        text = path.read_text(encoding="utf-8")
        front, body, first_line = _split(text)
        data = tomllib.loads(front)
    except (OSError, UnicodeDecodeError) as error:
        raise TopicError([_line(path, "", f"cannot be read ({error})")]) from None
    except tomllib.TOMLDecodeError as error:
        raise TopicError([_line(path, "", f"invalid TOML front matter ({error})")]) from None
    except TutorError as error:
        raise TopicError([_line(path, "", str(error))]) from None
    problems = _front_matter(data, path.stem)
    sections, body_problems = _parse_body(body, first_line)
    problems += body_problems
    if not problems:
        problems += _check_sections(sections, data.get("example"))
        if "optimizer" not in data:
            for name in sorted(
                {p.name for s in sections for p in s.parts if isinstance(p, Placeholder)}
                & hooks.SPEC_PLACEHOLDERS
            ):
                problems.append(("body", f"{{{{ {name} }}}} needs the topic's optimizer"))
    if problems:
        raise TopicError([_line(path, key, message) for key, message in problems])
    return Topic(
        data["id"],
        data["title"].strip(),
        data["group"],
        data["summary"].strip(),
        tuple(a.strip() for a in data["aliases"]),
        tuple(r.strip() for r in data["related"]),
        data.get("optimizer"),
        data.get("example"),
        MappingProxyType(dict(data.get("options", {}))),
        tuple(sections),
        path,
    )


# --- The registry --------------------------------------------------------------------------------


def _normal(name: str) -> str:
    """A name as looked up: lowercase, spaces, hyphens and underscores alike."""
    return " ".join(re.split(r"[\s_-]+", name.strip().lower())).strip()


def topic_paths(folder: Path = TOPICS_DIR) -> list[Path]:
    return sorted(folder.glob("*.md")) if folder.is_dir() else []


@functools.cache
def bundled_topics() -> Mapping[str, Topic]:
    """Every bundled topic by id (loaded once); a broken file is a TutorError."""
    topics = {t.id: t for t in (load_topic(TOPICS_DIR / f"{i}.md") for i in topic_ids())}
    return MappingProxyType(topics)


def _names(topics: Mapping[str, Topic]) -> dict[str, str]:
    """Every lookup name (ids first, then aliases) to its topic id."""
    names = {_normal(t.id): t.id for t in topics.values()}
    for topic in topics.values():
        for alias in topic.aliases:
            names.setdefault(_normal(alias), topic.id)
    return names


def find_topic(ref: str) -> Topic:
    """The topic whose id or alias is ``ref`` (case, spaces and hyphens do not matter), or a
    TutorError that suggests the closest names."""
    topics = bundled_topics()
    names = _names(topics)
    key = _normal(ref)
    if key in names:
        return topics[names[key]]
    close = difflib.get_close_matches(key, list(names), n=3, cutoff=0.6)
    suggestions = list(dict.fromkeys(names[c] for c in close))
    if suggestions:
        hint = " or ".join(repr(s) for s in suggestions)
        raise TutorError(f"unknown topic {ref!r} (did you mean {hint}?)")
    raise TutorError(f"unknown topic {ref!r} ('tutor explain' lists the topics)")


def groups(topics: Iterable[Topic]) -> list[tuple[str, tuple[Topic, ...]]]:
    """Topics by group, in :data:`GROUPS` order, each group sorted by id."""
    listed = list(topics)
    return [
        (group, tuple(sorted((t for t in listed if t.group == group), key=lambda t: t.id)))
        for group in GROUPS
        if any(t.group == group for t in listed)
    ]


# --- The linter ----------------------------------------------------------------------------------


def _check_registry(topics: Mapping[str, Topic], all_ids: Iterable[str]) -> list[str]:
    """Problems that need every topic: aliases, related ids (``all_ids``: every file's id,
    loaded or not, so that one broken file does not make its neighbours' links look broken)."""
    problems: list[str] = []
    existing = set(all_ids)
    ids = {_normal(i): i for i in existing}
    owners: dict[str, str] = {}
    for topic in topics.values():
        for i, alias in enumerate(topic.aliases):
            key = _normal(alias)
            where = _line(topic.source, f"aliases[{i}]", "")
            if key in ids and ids[key] != topic.id:
                problems.append(f"{where}{alias!r} is the id of another topic")
            elif key in owners and owners[key] != topic.id:
                problems.append(f"{where}{alias!r} is also an alias of {owners[key]!r}")
            owners.setdefault(key, topic.id)
        for i, related in enumerate(topic.related):
            where = _line(topic.source, f"related[{i}]", "")
            if related == topic.id:
                problems.append(f"{where}a topic is not related to itself")
            elif related not in existing:
                close = difflib.get_close_matches(related, sorted(existing), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                problems.append(f"{where}no topic {related!r}{hint}")
    return problems


def _check_engine(topic: Topic) -> list[str]:
    """Problems that need the engine: the optimizer, defaults, the example's options."""
    from tutor.engine import OPTIMIZERS

    problems: list[str] = []
    if topic.optimizer is not None and topic.optimizer not in OPTIMIZERS:
        known = ", ".join(OPTIMIZERS)
        problems.append(
            _line(topic.source, "optimizer", f"no optimizer {topic.optimizer!r} (known: {known})")
        )
    for ref in topic.defaults():
        placeholder = f"{{{{ default {ref.optimizer} {ref.name} }}}}"
        spec = OPTIMIZERS.get(ref.optimizer)
        if spec is None:
            problems.append(_line(topic.source, "body", f"{placeholder}: no such optimizer"))
        elif ref.name not in {h.name for h in spec.hyperparameters}:
            names = ", ".join(h.name for h in spec.hyperparameters)
            problems.append(
                _line(
                    topic.source, "body", f"{placeholder}: {spec.name} has no {ref.name} ({names})"
                )
            )
    if topic.example is None:
        return problems
    kind = hooks.EXAMPLES[topic.example]
    if kind.needs_optimizer and topic.optimizer is None:
        problems.append(_line(topic.source, "example", f"{kind.name} needs the topic's optimizer"))
        return problems
    try:
        accepted = hooks.example_options(topic.example, topic.optimizer, topic.options)
    except TutorError as error:
        return [*problems, _line(topic.source, "options", str(error))]
    for name, value in topic.options.items():
        option = accepted.get(name)
        if option is None:
            known = ", ".join(sorted(accepted)) or "none"
            message = f"the {topic.example} example takes no such option (it takes: {known})"
            problems.append(_line(topic.source, f"options.{name}", message))
            continue
        try:
            option.convert(value)
        except TutorError as error:
            problems.append(_line(topic.source, f"options.{name}", str(error)))
    return problems


def check_topics(folder: Path = TOPICS_DIR) -> list[str]:
    """Every problem of the topic files in ``folder``, one line each (empty: all good)."""
    problems: list[str] = []
    topics: dict[str, Topic] = {}
    paths = topic_paths(folder)
    if not paths:
        return [f"{folder}: no topic files (*.md)"]
    for path in paths:
        try:
            topic = load_topic(path)
        except TopicError as error:
            problems += error.problems
            continue
        topics[topic.id] = topic
        problems += _check_engine(topic)
    problems += _check_registry(topics, (path.stem for path in paths))
    return problems
