"""Read a YAML file keeping the line number of every mapping and of every list item, for
precise messages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from survey.errors import ConfigError

LINE_KEY = "__line__"


# libyaml's C parser when PyYAML has it (10× faster on the codebook), else the Python one
_BASE: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineList(list):
    """A YAML list that knows the 1-based line of each of its items (``lines``, in order)."""

    lines: tuple[int, ...] = ()


def item_lines(items: list, default: int | None = None) -> list[int | None]:
    """The line of each item of a list read by :func:`load_yaml` (``default`` for a list made
    otherwise, e.g. merged from another file's settings)."""
    lines = getattr(items, "lines", ())
    if len(lines) == len(items):
        return list(lines)
    return [default] * len(items)


class _LineLoader(_BASE):  # type: ignore[valid-type,misc]  # a base chosen at import time
    """SafeLoader that stores the 1-based line of each mapping under ``__line__`` and the line
    of each list item in the list's ``lines``."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        mapping[LINE_KEY] = node.start_mark.line + 1
        return mapping

    def construct_yaml_seq(self, node):
        # as SafeLoader's (the list first, filled after: recursive structures stay possible)
        items = LineList()
        items.lines = tuple(child.start_mark.line + 1 for child in node.value)
        yield items
        items.extend(self.construct_sequence(node))


def _no_duplicate_keys(loader: _LineLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConfigError(
                f"строка {key_node.start_mark.line + 1}: ключ «{key}» повторяется "
                f"(первый раз — строка {seen[key]}). Оставьте один."
            )
        seen[key] = key_node.start_mark.line + 1
    return _LineLoader.construct_mapping(loader, node, deep=deep)


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicate_keys)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _LineLoader.construct_yaml_seq)


def read_config_text(path: Path, where: str = "") -> str:
    """The text of a study's settings file (UTF-8, with or without BOM). Raises ConfigError in
    Russian; ``where`` names the setting that points at the file («(files: not_names в study.yaml)»)."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{path}: файл не найден{' ' + where if where else ''}. Проверьте путь.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: файл не в кодировке UTF-8. Сохраните его как UTF-8.") from None
    except OSError as exc:
        raise ConfigError(f"{path}: не удаётся прочитать файл ({exc.strerror}).") from None


# what PyYAML's messages (``problem``, then ``context``) mean, in the words of someone editing the file
_YAML_PROBLEMS = (
    ("mapping values are not allowed", "лишнее двоеточие: значение с «:» заключите в кавычки, или сдвинут отступ"),
    ("found undefined alias", "«*» в начале значения: заключите значение в кавычки"),
    ("found character '@'", "«@» в начале значения: заключите значение в кавычки"),
    ("found character '`'", "«`» в начале значения: заключите значение в кавычки"),
    ("found character '%'", "«%» в начале значения: заключите значение в кавычки"),
    ("expected ',' or ']'", "не закрыта квадратная скобка «[»"),
    ("expected ',' or '}'", "не закрыта фигурная скобка «{»"),
    ("quoted scalar", "не закрыта кавычка"),
    ("could not find expected ':'", "не хватает двоеточия после ключа или не закрыта кавычка"),
    ("expected <block end>", "отступ не совпадает с соседними строками"),
    ("block collection", "отступ не совпадает с соседними строками"),
    ("block mapping", "отступ не совпадает с соседними строками"),
)


def yaml_problem(exc: yaml.YAMLError, line: str = "") -> str:
    """A Russian description of a YAML syntax error (the parser's own words are English);
    ``line`` is the text of the line it points at."""
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    if "\t" in indent or ("\t" in line and "cannot start any token" in str(getattr(exc, "problem", ""))):
        return "табуляция: в YAML отступы делают пробелами"
    said = f"{getattr(exc, 'problem', '') or ''} {getattr(exc, 'context', '') or ''}"
    for english, russian in _YAML_PROBLEMS:
        if english in said:
            return russian
    return "ошибка синтаксиса"


def key_line(path: Path, key: object) -> int | None:
    """The line of a top-level ``key:`` in a YAML file (mappings know only their own first line);
    None when it is not written plainly."""
    pattern = re.compile(rf"^['\"]?{re.escape(str(key))}['\"]?\s*:")
    for number, text in enumerate(read_config_text(path).splitlines(), start=1):
        if pattern.match(text):
            return number
    return None


def load_yaml(path: str | Path) -> Any:
    """Load a YAML file; mappings get a ``__line__`` key. Raises ConfigError in Russian."""
    path = Path(path)
    text = read_config_text(path)
    try:
        return yaml.load(text, Loader=_LineLoader)
    except ConfigError as exc:
        raise ConfigError(f"{path}, {exc.message}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", строка {mark.line + 1}, позиция {mark.column + 1}" if mark else ""
        lines = text.splitlines()
        at = lines[mark.line] if mark and mark.line < len(lines) else ""
        raise ConfigError(
            f"{path}{where}: ошибка в записи YAML — {yaml_problem(exc, at)}. "
            "Проверьте эту строку и строку перед ней: отступы пробелами, двоеточия, кавычки и скобки."
        ) from None


def strip_lines(value: Any) -> Any:
    """Remove the ``__line__`` bookkeeping keys (for dumping or comparing)."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != LINE_KEY}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value
