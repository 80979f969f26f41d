"""A real IMAP server for the e-mail intake tests: Debian's Dovecot, on a free port of localhost.

Everything lives in a temporary folder of its own (configuration, passwd-file, maildirs, log),
so it never touches a system Dovecot. Run as root, Dovecot insists on dropping privileges, so
the unprivileged `dovecot`/`dovenull` users of the Debian package own the mail; run as anyone
else, that user owns everything.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.smtp_server import LOCALHOST, free_port

DOVECOT = Path("/usr/sbin/dovecot")
USERNAME = "crisis"
PASSWORD = "postvak-wachtwoord"
START_TIMEOUT = 10.0

CONFIG = """\
protocols = imap
listen = {host}
base_dir = {root}/run
state_dir = {root}/state
instance_name = kcc-test-{port}
log_path = {root}/dovecot.log
default_internal_user = {internal_user}
default_login_user = {login_user}
first_valid_uid = {uid}
ssl = no
# Plain passwords over a connection to 127.0.0.1 only: a test server with a test account.
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
"""


def server_users() -> tuple[str, str]:
    """Who Dovecot's internal and login processes run as, and so who owns the mail."""
    if os.geteuid() == 0:
        return "dovecot", "dovenull"
    own = pwd.getpwuid(os.geteuid()).pw_name
    return own, own


class DovecotServer:
    """A Dovecot IMAP server in the foreground of a child process, with one mailbox account."""

    def __init__(self) -> None:
        self.host = LOCALHOST
        self.port = 0
        self.username = USERNAME
        self.password = PASSWORD
        self.root: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Write the configuration, start Dovecot and wait until it greets."""
        # Not pytest's tmp_path: that folder is private to root, the mail user must enter it.
        self.root = Path(tempfile.mkdtemp(prefix="kcc-dovecot-"))
        self.root.chmod(0o755)
        self.port = free_port()
        internal_user, login_user = server_users()
        owner = pwd.getpwnam(internal_user)
        (self.root / "mail").mkdir()
        os.chown(self.root / "mail", owner.pw_uid, owner.pw_gid)
        (self.root / "passwd").write_text(f"{self.username}:{{PLAIN}}{self.password}\n")
        config = self.root / "dovecot.conf"
        config.write_text(
            CONFIG.format(
                host=self.host,
                port=self.port,
                root=self.root,
                internal_user=internal_user,
                login_user=login_user,
                uid=owner.pw_uid,
                gid=owner.pw_gid,
            )
        )
        # -F: in the foreground, so this process owns it and can stop it by its own pid.
        self._process = subprocess.Popen(  # noqa: S603 (a fixed program and our own config)
            [str(DOVECOT), "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.wait_until_ready()

    def wait_until_ready(self) -> None:
        """Poll the port until the IMAP greeting arrives (Dovecot starts in well under a second)."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"dovecot stopped at start: {self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5) as connection:
                    if connection.recv(64).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not answer within {START_TIMEOUT:g} s: {self.log()}")

    def log(self) -> str:
        """Dovecot's log (and what it said on stderr), to explain a failed start."""
        if self.root is None:
            return ""
        log_file = self.root / "dovecot.log"
        text = log_file.read_text(errors="replace") if log_file.exists() else ""
        if self._process is not None and self._process.poll() is not None and self._process.stderr:
            text += self._process.stderr.read().decode(errors="replace")
        return text

    def stop(self) -> None:
        """Stop Dovecot and remove its folder; harmless when not running."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            if self._process.stderr:
                self._process.stderr.close()
            self._process = None
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def connect(self) -> imaplib.IMAP4:
        """A logged-in client connection, as a mail program would open one."""
        connection = imaplib.IMAP4(self.host, self.port, timeout=5)
        connection.login(self.username, self.password)
        return connection

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        """Put an unread message in a folder with IMAP APPEND (as delivery would)."""
        connection = self.connect()
        try:
            connection.create(folder)  # fails harmlessly when it exists
            status, data = connection.append(folder, None, None, raw)
            assert status == "OK", data
        finally:
            connection.logout()

    def unread_count(self, folder: str = "INBOX") -> int:
        """How many messages in the folder are still unread."""
        connection = self.connect()
        try:
            connection.select(folder, readonly=True)
            status, data = connection.search(None, "UNSEEN")
            assert status == "OK", data
            return len((data[0] or b"").split())
        finally:
            connection.logout()

    def clear(self, folder: str = "INBOX") -> None:
        """Delete every message in the folder (between tests)."""
        connection = self.connect()
        try:
            status, _ = connection.select(folder)
            if status == "OK":
                connection.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
                connection.expunge()
        except imaplib.IMAP4.error:
            pass  # an empty folder has no message 1
        finally:
            connection.logout()
