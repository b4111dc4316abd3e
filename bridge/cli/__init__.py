"""The ``smsbridge`` command: the line (``parser``), where the settings are (``where``), and
the commands, one module per kind (``service``, ``checks``, ``texts``, ``routes``,
``listings``, ``contacts``, ``consent``).

Exit codes: 0 success, 1 the operation failed (a text refused, nothing to show), 2 bad usage
or invalid settings (argparse's own convention), 3 the bridge could not start.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bridge.cli.exits import EXIT_USAGE
from bridge.cli.where import UsageError, config_path

if TYPE_CHECKING:
    from bridge.cli.parser import Command

__all__ = ["main"]


@dataclass(frozen=True, slots=True)
class _Lazy:
    """Command ``name`` of ``bridge.cli.<module>``, imported when it runs: each command
    loads only its own modules (``run`` none of the other commands' readers and exporters)."""

    module: str
    name: str
    service: bool = False  # it turns the collector back on itself, once it is listening

    def load(self) -> Command:
        command: Command = getattr(importlib.import_module(f"bridge.cli.{self.module}"), self.name)
        return command

    def __call__(self, args: argparse.Namespace) -> int:
        command = self.load()
        if not self.service:
            gc.enable()  # paused by main while the command's modules were imported
        return command(args)


COMMANDS: dict[str, _Lazy] = {
    "run": _Lazy("service", "cmd_run", service=True),
    "reload": _Lazy("service", "cmd_reload"),
    "migrate": _Lazy("service", "cmd_migrate"),
    "hash-password": _Lazy("service", "cmd_hash_password"),
    "check-config": _Lazy("checks", "cmd_check_config"),
    "send": _Lazy("texts", "cmd_send"),
    "simulate-inbound": _Lazy("texts", "cmd_simulate_inbound"),
    "routes check": _Lazy("checks", "cmd_routes_check"),
    "routes explain": _Lazy("routes", "cmd_routes_explain"),
    "outbound explain": _Lazy("texts", "cmd_outbound_explain"),
    "inbox": _Lazy("listings", "cmd_inbox"),
    "outbox": _Lazy("listings", "cmd_outbox"),
    "thread": _Lazy("threads", "cmd_thread"),
    "contacts list": _Lazy("contacts", "cmd_contacts_list"),
    "contacts add": _Lazy("contacts", "cmd_contacts_add"),
    "contacts remove": _Lazy("contacts", "cmd_contacts_remove"),
    "contacts import": _Lazy("contacts", "cmd_contacts_import"),
    "contacts export": _Lazy("contacts", "cmd_contacts_export"),
    "consent list": _Lazy("consent", "cmd_consent_list"),
    "consent export": _Lazy("consent", "cmd_consent_export"),
    "consent import": _Lazy("consent", "cmd_consent_import"),
    "consent opt-in": _Lazy("consent", "cmd_consent_opt_in"),
    "consent opt-out": _Lazy("consent", "cmd_consent_opt_out"),
    "scheduled": _Lazy("scheduled", "cmd_scheduled"),
    "scheduled cancel": _Lazy("scheduled", "cmd_scheduled_cancel"),
    "templates": _Lazy("templates", "cmd_templates"),
    "templates show": _Lazy("templates", "cmd_templates_show"),
    "flows": _Lazy("flows", "cmd_flows"),
    "flows show": _Lazy("flows", "cmd_flows_show"),
    "flows test": _Lazy("flows", "cmd_flows_test"),
    "api-tokens add": _Lazy("api_tokens", "cmd_api_tokens_add"),
    "api-tokens list": _Lazy("api_tokens", "cmd_api_tokens_list"),
    "api-tokens revoke": _Lazy("api_tokens", "cmd_api_tokens_revoke"),
    "report": _Lazy("report", "cmd_report"),
    "links report": _Lazy("links", "cmd_links_report"),
    "qr": _Lazy("qr", "cmd_qr"),
}


def _parser() -> argparse.ArgumentParser:
    from bridge.cli.parser import build_parser  # in main, with the collector paused

    return build_parser(COMMANDS)


def _settings_file(args: argparse.Namespace) -> None:
    """``args.config`` as the path to read: check-config's FILE is its --config."""
    if not hasattr(args, "config"):
        return  # a command that reads no settings
    given = getattr(args, "file", None)
    if given and args.config and given != args.config:
        raise UsageError(f"give the settings file once: {given} or --config {args.config}.")
    args.config = config_path(given or args.config, os.environ)


def main(argv: Sequence[str] | None = None) -> int:
    # Importing a command's modules (and starting the bridge) makes over 100,000 objects that
    # the cyclic collector tracks and that all live on; it would walk them again and again
    # (about 50 ms of a start). It waits until the command is loaded, or for ``run`` until
    # the bridge is listening (``bridge.cli.service``).
    gc.disable()
    try:
        args = _parser().parse_args(argv)
        _settings_file(args)
        result: int = args.func(args)
    except UsageError as exc:
        print(f"smsbridge: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        gc.enable()
    return result
