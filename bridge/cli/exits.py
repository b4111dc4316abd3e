"""The command's exit codes: 0 success, 1 the operation failed (a text refused, nothing to
show), 2 bad usage or invalid settings (argparse's own convention), 3 the bridge could not
start. Apart from ``common`` so that ``bridge.cli`` names them without importing the settings."""

from __future__ import annotations

__all__ = ["EXIT_FAILED", "EXIT_START", "EXIT_USAGE"]

EXIT_FAILED, EXIT_USAGE, EXIT_START = 1, 2, 3
