"""A real IMAP server for the complaint-mailbox tests: Debian's Dovecot, started once per test session as a
child process on a free port of 127.0.0.1, with its configuration, mail and sockets in a temporary folder,
and stopped at the end.

Dovecot is installed with apt-get when /usr/sbin/dovecot is missing (root only; scripts/system-deps.sh
lists it too). Dovecot 2.3 (Debian 12) is what runs here; the 2.4 configuration (Debian 13) follows its
documentation and is checked with `dovecot -n` before the server starts.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from imap_tools import MailBoxUnencrypted

from estatedesk.conftest import _fast_password_hashing, world  # noqa: F401 - the shared personas

DOVECOT = Path("/usr/sbin/dovecot")
STARTUP_SECONDS = 20
USERNAME = "complaints"
PASSWORD = "mailbox-pass-2026"  # test server only


@dataclass
class ImapServer:
    host: str
    port: int
    username: str
    password: str
    root: Path

    def connect(self) -> MailBoxUnencrypted:
        return MailBoxUnencrypted(self.host, self.port, timeout=10).login(self.username, self.password)

    def deliver(self, *messages: bytes) -> list[str]:
        """APPEND the messages to INBOX, unseen; their UIDs."""
        uids = []
        with self.connect() as box:
            for raw in messages:
                status, data = box.client.append("INBOX", None, None, raw)
                assert status == "OK", data
                uids.append(data[0].decode().split("APPENDUID ")[1].split()[1].rstrip("]"))
        return uids

    def flags(self) -> dict[str, tuple[str, ...]]:
        """Every message's flags, by UID."""
        with self.connect() as box:
            return {message.uid: message.flags for message in box.fetch(mark_seen=False, headers_only=True)}

    def empty(self) -> None:
        with self.connect() as box:
            box.client.uid("STORE", "1:*", "+FLAGS.SILENT", r"(\Deleted)")
            box.client.expunge()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _apt_get(*args: str) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    options = ["-q", "-o", "DPkg::Lock::Timeout=300", "-o", "Acquire::Retries=3"]
    done = subprocess.run(["apt-get", *options, *args], env=env, capture_output=True, check=False)
    return done.returncode == 0


def _ensure_dovecot() -> Path:
    if not DOVECOT.exists() and os.geteuid() == 0 and shutil.which("apt-get"):
        packages = ["install", "-y", "--no-install-recommends", "dovecot-imapd"]
        if not _apt_get(*packages) and _apt_get("update"):
            _apt_get(*packages)
    if not DOVECOT.exists():
        pytest.fail(
            f"{DOVECOT} is missing and could not be installed: run `sudo apt-get install dovecot-imapd` "
            "(or scripts/system-deps.sh as root)",
            pytrace=False,
        )
    return DOVECOT


def _version(binary: Path) -> tuple[int, int]:
    text = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    major, minor = text.split()[0].split(".")[:2]
    return int(major), int(minor)


def _users() -> dict[str, str]:
    """Who the server's processes run as. As root: Debian's dovecot and dovenull users, and mail owned by
    `nobody` (Dovecot refuses mail access as root). Otherwise everything runs as the current user."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return {"internal": me.pw_name, "login": me.pw_name, "uid": str(me.pw_uid), "gid": str(me.pw_gid)}
    nobody = pwd.getpwnam("nobody")
    internal = "dovecot" if _has_user("dovecot") else "nobody"
    login = "dovenull" if _has_user("dovenull") else "nobody"
    return {"internal": internal, "login": login, "uid": str(nobody.pw_uid), "gid": str(nobody.pw_gid)}


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _config(*, root: Path, port: int, version: tuple[int, int], users: dict[str, str]) -> str:
    common = f"""
base_dir = {root}/run
state_dir = {root}/state
instance_name = estatedesk-test-{port}
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
auth_mechanisms = plain login
auth_failure_delay = 0
# no growing delay after the wrong-password test (Dovecot's authentication penalty per client IP)
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
default_internal_user = {users["internal"]}
default_login_user = {users["login"]}
first_valid_uid = {min(int(users["uid"]), 500)}
first_valid_gid = {min(int(users["gid"]), 500)}
"""
    if version >= (2, 4):
        return f"""dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
{common}
auth_allow_cleartext = yes
mail_driver = maildir
mail_home = {root}/mail/%{{user}}
mail_path = ~
mail_uid = {users["uid"]}
mail_gid = {users["gid"]}
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb passwd-file {{
  passwd_file_path = {root}/passwd
}}
service imap-login {{
  inet_listener imap {{
    listen = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
    return f"""{common}
disable_plaintext_auth = no
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={users["uid"]} gid={users["gid"]} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                if connection.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)  # the server is starting
    output = log.read_text(errors="replace") if log.exists() else ""
    os.killpg(process.pid, signal.SIGKILL)
    pytest.fail(f"Dovecot did not answer on 127.0.0.1:{port}:\n{output}", pytrace=False)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[ImapServer]:
    binary = _ensure_dovecot()
    users = _users()
    root = Path(tempfile.mkdtemp(prefix="estatedesk-dovecot-"))
    root.chmod(0o755)  # the mail processes run as another user
    for folder in ("run", "state", "mail"):
        (root / folder).mkdir()
    if os.geteuid() == 0:
        os.chown(root / "mail", int(users["uid"]), int(users["gid"]))
    (root / "passwd").write_text(f"{USERNAME}:{{PLAIN}}{PASSWORD}::::::\n")
    (root / "passwd").chmod(0o644)
    port = _free_port()
    config = root / "dovecot.conf"
    config.write_text(_config(root=root, port=port, version=_version(binary), users=users))
    checked = subprocess.run([binary, "-n", "-c", config], capture_output=True, text=True, check=False)
    if checked.returncode != 0:
        pytest.fail(f"Dovecot rejects the test configuration:\n{checked.stderr}", pytrace=False)
    output = root / "foreground.log"
    with output.open("wb") as stream:
        process = subprocess.Popen(
            [binary, "-F", "-c", config], stdout=stream, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_until_listening(process, port, root / "dovecot.log")
        yield ImapServer(host="127.0.0.1", port=port, username=USERNAME, password=PASSWORD, root=root)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the server's own process group, children included
            process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap(dovecot: ImapServer) -> ImapServer:
    """The session's server with an empty INBOX."""
    dovecot.empty()
    return dovecot
