"""What admins install: the wheel, its version, the systemd unit and the compose file.

The wheel is built from the tree and installed without its dependencies into a fresh
virtualenv that borrows this one's (installing them again from an index would test the index,
not the wheel): its ``smsbridge --version`` must be the package's, and its SQL files must be in
it, or the store would not open. The unit is checked by systemd's own ``systemd-analyze
verify`` with its command pointed at this virtualenv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import yaml  # schemathesis's own dependency

from bridge import __version__
from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "docs" / "examples" / "deployment" / "smsbridge.service"
COMPOSE = ROOT / "docs" / "examples" / "deployment" / "compose.yaml"


def _run(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=300, check=False, **kwargs
    )  # type: ignore[call-overload, no-any-return]


def test_the_cli_says_its_version() -> None:
    said = _run(sys.executable, "-m", "bridge", "--version")
    assert said.returncode == 0 and said.stdout.strip() == f"smsbridge {__version__}"


@pytest.mark.slow
def test_the_wheel_installs_and_runs_in_a_fresh_virtualenv(tmp_path: Path) -> None:
    tree = tmp_path / "tree"  # a copy, so that the build leaves nothing in the repository
    shutil.copytree(ROOT / "bridge", tree / "bridge", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tree / name)
    built = _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", ".", "-w", tmp_path / "dist", cwd=tree
    )
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("smsbridge-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "bridge/store/sql/sqlite_001_initial.sql" in names and "bridge/py.typed" in names
    assert any(name.startswith("bridge/store/queries/") for name in names)
    fresh = tmp_path / "venv"
    assert _run(sys.executable, "-m", "venv", "--without-pip", fresh).returncode == 0
    [site] = fresh.glob("lib/python*/site-packages")
    # This virtualenv's packages as a path line: its .pth files (the editable install of
    # the tree) are not read from there, so ``bridge`` can only come from the wheel.
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = _run(
        sys.executable, "-m", "pip", "--python", fresh / "bin" / "python", "install", "--no-deps",
        wheel,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stderr
    version = _run(fresh / "bin" / "smsbridge", "--version", cwd=tmp_path)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"smsbridge {__version__}"
    where = _run(
        fresh / "bin" / "python", "-c", "import bridge; print(bridge.__file__)", cwd=tmp_path
    )
    assert where.stdout.startswith(str(site)), where.stdout


def test_the_systemd_unit_is_hardened_and_valid(tmp_path: Path) -> None:
    text = UNIT.read_text()
    settings = dict(
        line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#")
    )
    assert settings["NoNewPrivileges"] == "true" and settings["ProtectSystem"] == "strict"
    assert settings["PrivateTmp"] == "true" and settings["ProtectHome"] == "true"
    assert settings["ReadWritePaths"] == "/var/lib/smsbridge"
    assert int(settings["LimitNOFILE"]) >= 65536
    assert settings["ExecStartPre"].split()[1] == "check-config"
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if IN_CI:
            pytest.fail("systemd-analyze is needed in CI (Debian's systemd)")
        pytest.skip("systemd-analyze is not installed")
    here = Path(sys.executable).parent / "smsbridge"
    unit = tmp_path / "smsbridge.service"
    unit.write_text(text.replace("/opt/smsbridge/bin/smsbridge", str(here)))
    verified = _run(analyze, "verify", unit, env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"})
    assert verified.returncode == 0, verified.stderr


def test_the_compose_file_waits_for_healthy_services() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    first, second = services["bridge-a"], services["bridge-b"]
    assert "/healthz" in " ".join(first["healthcheck"]["test"])
    assert second["depends_on"]["bridge-a"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
