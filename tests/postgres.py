"""A real PostgreSQL server for the tests and benchmarks: Debian's binaries, a temporary data folder,
listening on loopback only, stopped at the end.

As root (CI), the server runs as the ``postgres`` account Debian's package creates, since
PostgreSQL refuses to run as root; otherwise as the current user.
"""

import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.ports import free_port

TEMPLATE = "carnet_template"


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"),
                   key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0)
    return found[-1].parent if found else None


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class PostgresServer:
    folder: Path
    port: int
    durable: bool = False

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://carnet@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        bin_dir = binaries()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL is not installed (scripts/test.sh installs Debian's postgresql)")
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        subprocess.run(_as_server_user([str(bin_dir / "initdb"), "-D", str(self.data), "-U", "carnet",
                                        "--auth=trust", "--locale=C", "-E", "UTF8", "--no-sync"]),
                       check=True, capture_output=True)
        # Tests need no durability across a machine crash; the benchmarks keep the defaults.
        fast = [] if self.durable else ["-c", "fsync=off", "-c", "synchronous_commit=off",
                                        "-c", "full_page_writes=off"]
        options = " ".join(["-c", "listen_addresses=127.0.0.1", "-p", str(self.port), "-k", str(self.folder),
                            "-c", "max_connections=300", *fast])
        subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(self.data), "-l",
                                        str(self.folder / "server.log"), "-o", options, "-w", "start"]),
                       check=True, capture_output=True)

    def stop(self) -> None:
        bin_dir = binaries()
        if bin_dir is not None and self.data.exists():
            subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                                            "stop"]), capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)

    def create_database(self, *, name: str | None = None, template: str | None = None) -> str:
        """A new empty (or copied) database; returns its URL."""
        name = name or "carnet_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            clause = f" TEMPLATE {template}" if template else ""
            conn.execute(f"CREATE DATABASE {name}{clause}".encode())
        return self.url(name)


def start_server(*, durable: bool = False) -> PostgresServer:
    """A started server in a new temporary folder (outside pytest's, which the ``postgres``
    account cannot enter); ``stop`` removes it."""
    server = PostgresServer(Path(tempfile.mkdtemp(prefix="carnet-pg-")), free_port(), durable)
    server.start()
    return server
