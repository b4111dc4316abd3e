"""Self-signed certificates for the test servers (and the bridge's STARTTLS), made with the
``openssl`` command: one way to make them, whoever needs one."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

__all__ = ["make_certificate"]


def make_certificate(folder: Path, *, name: str = "localhost") -> tuple[Path, Path]:
    """``folder/cert.pem`` and ``folder/key.pem`` for ``name`` and 127.0.0.1, valid two days."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise FileNotFoundError("the openssl command is not installed")
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "cert.pem", folder / "key.pem"
    names = "IP:127.0.0.1" if name == "127.0.0.1" else f"DNS:{name},IP:127.0.0.1"
    command = [
        openssl,
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
        "-subj",
        f"/CN={name}",
        "-keyout",
        str(key),
        "-out",
        str(cert),
        "-addext",
        f"subjectAltName={names}",
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=30)
    key.chmod(0o600)
    return cert, key
