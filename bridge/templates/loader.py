"""Reading the templates: one ``NAME.txt`` a template in ``templates.folder``, and the
``[templates.entries]`` of the settings. The only module of ``bridge.templates`` that reads
files.

Each problem (a file that cannot be read or is not UTF-8, a name that is not a name, a brace
that opens no placeholder) is given with where it is, so that ``run`` and ``check-config``
refuse the settings with the file and line at fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from bridge.parsing.placeholders import Template, syntax_problems
from bridge.templates.library import NamedTemplate, TemplateLibrary, check_name

__all__ = ["SUFFIX", "load_library"]

SUFFIX = ".txt"
_MAX_BYTES = 64 * 1024  # a text of 30 segments is 4,590 characters; more is a wrong file


def load_library(
    folder: Path | None, entries: Mapping[str, str]
) -> tuple[TemplateLibrary, list[str]]:
    """The templates of ``folder`` and ``entries``, and each problem found (the templates
    with a problem are left out)."""
    found: dict[str, NamedTemplate] = {}
    problems: list[str] = []
    if folder is not None:
        for path, text, problem in _files(folder):
            if problem:
                problems.append(problem)
                continue
            _add(found, problems, path.stem, text, str(path))
    for written, text in entries.items():
        _add(found, problems, written, text, f"templates.entries.{written}")
    return TemplateLibrary(found), problems


def _add(
    found: dict[str, NamedTemplate], problems: list[str], written: str, text: str, where: str
) -> None:
    try:
        name = check_name(written)
    except ValueError as exc:
        problems.append(f"{where}: {exc}")
        return
    wrong = syntax_problems(text)
    if wrong:
        problems += [f"{where}: {problem}" for problem in wrong]
        return
    if not text.strip():
        problems.append(f"{where}: the template is empty")
        return
    found[name] = NamedTemplate(name, Template(text.strip()), where)


def _files(folder: Path) -> list[tuple[Path, str, str]]:
    """Each ``*.txt`` of ``folder`` by name, with its text or the problem reading it."""
    try:
        paths = sorted(p for p in folder.iterdir() if p.suffix == SUFFIX)
    except OSError as exc:
        return [(folder, "", f"{folder}: cannot read the templates folder: {exc.strerror}")]
    read = []
    for path in paths:
        try:
            data = path.read_bytes()
            if len(data) > _MAX_BYTES:
                raise ValueError(f"longer than {_MAX_BYTES // 1024} KB; a template is one text")
            read.append((path, data.decode("utf-8-sig"), ""))
        except OSError as exc:
            read.append((path, "", f"{path}: cannot read it: {exc.strerror}"))
        except UnicodeDecodeError:
            read.append((path, "", f"{path}: not UTF-8 text; save it as UTF-8"))
        except ValueError as exc:
            read.append((path, "", f"{path}: {exc}"))
    return read
