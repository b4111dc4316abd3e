"""``smsbridge check-config`` and ``routes check``: a settings file's faults and warnings.

Both read the file as ``run`` does and report everything at once, in the file's order, each
as ``file:LINE: key.path: message`` (or one JSON object a line with ``--json``). Faults go
to stderr with exit code 2, as ``run`` refuses them; warnings (valid but risky settings,
variables for providers the file does not define) go to stdout and leave the code at 0.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from bridge.advice import advice
from bridge.cli.common import EXIT_USAGE
from bridge.errors import ConfigError, Finding, by_line
from bridge.routing.checks import warnings_for
from bridge.settings.load import Purpose, SettingsFile
from bridge.settings.root import Settings

__all__ = ["check_config", "check_routes", "cmd_check_config", "cmd_routes_check"]


def cmd_check_config(args: argparse.Namespace) -> int:
    return check_config(args.config, environ=os.environ, as_json=args.json)


def cmd_routes_check(args: argparse.Namespace) -> int:
    return check_routes(args.config, environ=os.environ, as_json=args.json)


def check_config(path: Path, *, environ: Mapping[str, str], as_json: bool) -> int:
    """Everything ``run`` would refuse, and every risk it would log."""
    checked = _checked(path, environ)
    if isinstance(checked, ConfigError):
        return _refused(checked, as_json=as_json)
    file, settings = checked
    warnings = file.place(advice(settings), warning=True) + file.ignored_variables(environ)
    summary = f"OK (providers {', '.join(settings.providers)}, mail via {settings.mail.transport})"
    _emit(str(path), summary, by_line(warnings), as_json=as_json)
    return 0


def check_routes(path: Path, *, environ: Mapping[str, str], as_json: bool) -> int:
    """The routing table's faults (the file's, since the table is part of it) and warnings."""
    checked = _checked(path, environ)
    if isinstance(checked, ConfigError):
        return _refused(checked, as_json=as_json)
    file, settings = checked
    warnings = by_line(file.place(warnings_for(settings.routes, settings.inbound), warning=True))
    summary = f"OK, {len(settings.routes)} route(s), {len(warnings)} warning(s)"
    _emit(str(path), summary, warnings, as_json=as_json)
    return 0


def _checked(path: Path, environ: Mapping[str, str]) -> tuple[SettingsFile, Settings] | ConfigError:
    try:
        file = SettingsFile.read(path)
    except ConfigError as exc:
        return exc
    try:
        return file, file.validate(Purpose.SERVE)  # what run would refuse
    except ConfigError as exc:
        exc.findings = by_line(exc.findings + file.ignored_variables(environ))
        return exc


def _refused(error: ConfigError, *, as_json: bool) -> int:
    if as_json:
        for finding in error.findings:
            print(json.dumps(finding.as_dict(error.source), ensure_ascii=False))
    else:
        print(error.report(), file=sys.stderr)
    return EXIT_USAGE


def _emit(source: str, summary: str, warnings: list[Finding], *, as_json: bool) -> None:
    if as_json:
        for finding in warnings:
            print(json.dumps(finding.as_dict(source), ensure_ascii=False))
        return
    print(f"{source}: {summary}")
    for finding in warnings:
        print(finding.render(source))
