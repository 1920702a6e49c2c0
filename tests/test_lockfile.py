"""The reproducible install: requirements.lock pins every dependency pyproject.toml names, and CI runs the
README's own test command, which installs from that lock file."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def locked_versions() -> dict[str, list[Version]]:
    """Name -> pinned versions (a universal lock may pin one per Python version, behind a marker)."""
    pins: dict[str, list[Version]] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", line)
        if match:
            pins.setdefault(canonicalize_name(match.group(1)), []).append(Version(match.group(2)))
    return pins


def declared_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    return [Requirement(r) for r in [*project["dependencies"], *extras["dev"], *extras["postgres"]]]


def test_every_declared_dependency_is_pinned_in_the_lock_file_within_its_range():
    pins = locked_versions()
    problems = []
    for requirement in declared_requirements():
        versions = pins.get(canonicalize_name(requirement.name))
        if not versions:
            problems.append(f"{requirement.name} is not in requirements.lock")
        elif not any(requirement.specifier.contains(v, prereleases=True) for v in versions):
            problems.append(f"{requirement.name} is locked at {versions}, outside {requirement.specifier}")
    assert not problems, "refresh the lock file (README: Reproducible install): " + "; ".join(problems)


def test_ci_runs_the_readmes_test_command_which_installs_from_the_lock_file():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, flags=re.S)
    readme_test_command = next(b for b in blocks if "pytest" in b)
    ci = (ROOT / ".ci" / "run").read_text()
    (ci_command,) = re.findall(r'^TEST_COMMAND="(.*)"$', ci, flags=re.M)
    assert ci_command == readme_test_command
    assert "-r requirements.lock" in ci_command and "--no-deps -e ." in ci_command
    # A fresh CI machine has no PostgreSQL: the script installs it before running the suite.
    assert "apt-get install" in ci and "postgresql" in ci
