"""A private, throwaway PostgreSQL cluster for the test session.

Every database test runs on SQLite and on PostgreSQL. Rather than depend on a
server someone has to set up, the suite starts its own cluster from the
installed server binaries on a free loopback port, in a temp dir, with fsync
off, and removes it at the end. Set ``REFERRAL_TEST_POSTGRES_URL`` to use an
existing server instead. initdb and postgres refuse to run as root, so as root
the cluster runs as the ``postgres`` system user (created by Debian's package).
"""
from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa

INSTALL_HINT = ("PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them with "
                "`apt-get install -y postgresql` (Debian/Ubuntu), or set REFERRAL_TEST_POSTGRES_URL to "
                "postgresql+psycopg://user:pass@host:port/db of a server the tests may create databases on.")


def find_bindir() -> Path | None:
    candidates: list[Path] = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if out:
            candidates.append(Path(out))
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
                      if Path(p).parent.name.isdigit() else 0, reverse=True)
    candidates += [Path(p) for p in versions]
    if shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb") or "").parent)
    for directory in candidates:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThrowawayPostgres:
    def __init__(self) -> None:
        self.url = os.environ.get("REFERRAL_TEST_POSTGRES_URL", "")
        self._external = bool(self.url)
        self._dir: Path | None = None
        self._run_as: list[str] = []
        self._bindir: Path | None = None

    def start(self) -> None:
        if self._external:
            return
        bindir = find_bindir()
        if bindir is None:
            raise RuntimeError(INSTALL_HINT)
        self._bindir = bindir
        self._dir = Path(tempfile.mkdtemp(prefix="referral-pg-"))
        os.chmod(self._dir, 0o755)
        if os.geteuid() == 0:
            user = self._system_user()
            shutil.chown(self._dir, user, user)
            self._run_as = ["runuser", "-u", user, "--"]
        data, log = self._dir / "data", self._dir / "server.log"
        port = _free_port()
        self._run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync",
                  "-E", "UTF8", "--locale=C")
        options = (f"-p {port} -k {self._dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        try:
            self._run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", options,
                      "start")
        except RuntimeError as error:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{error}\n{tail}") from None
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        atexit.register(self.stop)

    def _system_user(self) -> str:
        for name in ("postgres", "referral-test-pg"):
            try:
                pwd.getpwnam(name)
                return name
            except KeyError:
                continue
        subprocess.run(["useradd", "--system", "--no-create-home", "referral-test-pg"], check=True)
        return "referral-test-pg"

    def _run(self, *command: str) -> None:
        result = subprocess.run([*self._run_as, *command], capture_output=True, text=True, check=False,
                                stdin=subprocess.DEVNULL, cwd=self._dir)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command[:2])} failed ({result.returncode}): "
                               f"{result.stderr[-2000:] or result.stdout[-2000:]}")

    def _admin(self) -> sa.Engine:
        return sa.create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)

    def create_database(self, name: str) -> str:
        engine = self._admin()
        with engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine.dispose()
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def drop_database(self, name: str) -> None:
        engine = self._admin()
        with engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()

    def stop(self) -> None:
        if self._external or self._dir is None or self._bindir is None:
            return
        directory, self._dir = self._dir, None
        subprocess.run([*self._run_as, str(self._bindir / "pg_ctl"), "-D", str(directory / "data"), "-m",
                        "immediate", "stop"], capture_output=True, check=False, cwd=directory)
        shutil.rmtree(directory, ignore_errors=True)
