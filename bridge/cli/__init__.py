"""The ``smsbridge`` command: the line (``parser``), where the settings are (``where``), and
the commands, one module per kind (``service``, ``checks``, ``texts``, ``routes``,
``listings``, ``contacts``, ``consent``).

Exit codes: 0 success, 1 the operation failed (a text refused, nothing to show), 2 bad usage
or invalid settings (argparse's own convention), 3 the bridge could not start.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from bridge.cli.api_tokens import (
    cmd_api_tokens_add,
    cmd_api_tokens_list,
    cmd_api_tokens_revoke,
)
from bridge.cli.checks import cmd_check_config, cmd_routes_check
from bridge.cli.common import EXIT_USAGE
from bridge.cli.consent import (
    cmd_consent_export,
    cmd_consent_import,
    cmd_consent_list,
    cmd_consent_opt_in,
    cmd_consent_opt_out,
)
from bridge.cli.contacts import (
    cmd_contacts_add,
    cmd_contacts_export,
    cmd_contacts_import,
    cmd_contacts_list,
    cmd_contacts_remove,
)
from bridge.cli.flows import cmd_flows, cmd_flows_show, cmd_flows_test
from bridge.cli.links import cmd_links_report
from bridge.cli.listings import cmd_inbox, cmd_outbox
from bridge.cli.parser import Command, build_parser
from bridge.cli.qr import cmd_qr
from bridge.cli.report import cmd_report
from bridge.cli.routes import cmd_routes_explain
from bridge.cli.scheduled import cmd_scheduled, cmd_scheduled_cancel
from bridge.cli.service import cmd_hash_password, cmd_migrate, cmd_reload, cmd_run
from bridge.cli.templates import cmd_templates, cmd_templates_show
from bridge.cli.texts import cmd_outbound_explain, cmd_send, cmd_simulate_inbound
from bridge.cli.threads import cmd_thread
from bridge.cli.where import UsageError, config_path

__all__ = ["main"]

COMMANDS: dict[str, Command] = {
    "run": cmd_run,
    "reload": cmd_reload,
    "migrate": cmd_migrate,
    "hash-password": cmd_hash_password,
    "check-config": cmd_check_config,
    "send": cmd_send,
    "simulate-inbound": cmd_simulate_inbound,
    "routes check": cmd_routes_check,
    "routes explain": cmd_routes_explain,
    "outbound explain": cmd_outbound_explain,
    "inbox": cmd_inbox,
    "outbox": cmd_outbox,
    "thread": cmd_thread,
    "contacts list": cmd_contacts_list,
    "contacts add": cmd_contacts_add,
    "contacts remove": cmd_contacts_remove,
    "contacts import": cmd_contacts_import,
    "contacts export": cmd_contacts_export,
    "consent list": cmd_consent_list,
    "consent export": cmd_consent_export,
    "consent import": cmd_consent_import,
    "consent opt-in": cmd_consent_opt_in,
    "consent opt-out": cmd_consent_opt_out,
    "scheduled": cmd_scheduled,
    "scheduled cancel": cmd_scheduled_cancel,
    "templates": cmd_templates,
    "templates show": cmd_templates_show,
    "flows": cmd_flows,
    "flows show": cmd_flows_show,
    "flows test": cmd_flows_test,
    "api-tokens add": cmd_api_tokens_add,
    "api-tokens list": cmd_api_tokens_list,
    "api-tokens revoke": cmd_api_tokens_revoke,
    "report": cmd_report,
    "links report": cmd_links_report,
    "qr": cmd_qr,
}


def _parser() -> argparse.ArgumentParser:
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
    args = _parser().parse_args(argv)
    try:
        _settings_file(args)
        result: int = args.func(args)
    except UsageError as exc:
        print(f"smsbridge: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return result
