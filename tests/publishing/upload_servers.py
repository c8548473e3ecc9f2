"""Real upload servers on 127.0.0.1 for the upload tests: FTP and FTPS (pyftpdlib), SFTP
(paramiko), silent; and a throwaway certificate authority for the FTPS server's certificate.

Each serves a temporary directory from a thread on a free port and records the logins it was
offered, so a test can tell whether a client sent its password.
"""

from __future__ import annotations

import datetime
import ipaddress
import logging
import os
import posixpath
import socket
import threading
import warnings
from pathlib import Path

import paramiko
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

with warnings.catch_warnings():
    # pyftpdlib 2.2 is built on asyncore/asynchat, which warn when imported on Python 3.11
    warnings.simplefilter("ignore", DeprecationWarning)
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
    from pyftpdlib.servers import FTPServer

# the test servers' own chatter is not what the tests look at
logging.getLogger("pyftpdlib").setLevel(logging.WARNING)


class _CountingAuthorizer(DummyAuthorizer):
    def __init__(self, logins: list[str]) -> None:
        super().__init__()
        self.logins = logins

    def validate_authentication(self, username, password, handler):
        self.logins.append(username)
        return super().validate_authentication(username, password, handler)


class _RecordingHandler(FTPHandler):
    events: list[tuple[str, ...]]

    def on_file_received(self, file):
        self.events.append(("stored", os.path.basename(file)))

    def ftp_RNTO(self, path):
        source = self._rnfr
        result = super().ftp_RNTO(path)
        if result:
            self.events.append(("renamed", os.path.basename(source), os.path.basename(path)))
        return result


class FtpServer:
    """A pyftpdlib FTP server with one user whose home is ``home``; ``events`` lists stores and
    renames.

    Given ``tls`` (a certificate file and its key file) it serves explicit FTPS instead, and
    requires TLS on the control connection before the login and on every data connection.
    """

    def __init__(
        self, home: Path, user: str, password: str, tls: tuple[Path, Path] | None = None
    ) -> None:
        self.home, self.logins = home, []
        self.events: list[tuple[str, ...]] = []
        authorizer = _CountingAuthorizer(self.logins)
        authorizer.add_user(user, password, str(home), perm="elradfmwMT")
        # no 3 s pause after a failed login: the tests fail logins on purpose
        settings = {
            "authorizer": authorizer,
            "banner": "test",
            "auth_failed_timeout": 0,
            "events": self.events,
        }
        bases: tuple[type, ...] = (_RecordingHandler,)
        if tls is not None:
            bases += (TLS_FTPHandler,)
            settings["certfile"], settings["keyfile"] = str(tls[0]), str(tls[1])
            settings["tls_control_required"] = settings["tls_data_required"] = True
        handler = type("Handler", bases, settings)
        self.server = FTPServer(("127.0.0.1", 0), handler)
        self.port = self.server.address[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            self.server.ioloop.loop(0.02, blocking=False)
        self.server.close_all()

    def __enter__(self) -> FtpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


class CertificateAuthority:
    """A certificate authority made up for one test: it signs server certificates for IP
    addresses, and ``write`` saves its own certificate for a client to trust.

    The certificates carry the extensions that strict verification (Python 3.13's default) asks
    for: a critical CA basic constraint, key usage and key identifiers.
    """

    def __init__(self, name: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        signs_certificates = x509.KeyUsage(
            digital_signature=False,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=True,
            crl_sign=True,
            encipher_only=False,
            decipher_only=False,
        )
        self.certificate = (
            self._builder(self.name, self.key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(signs_certificates, critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )

    def _builder(self, subject: x509.Name, public_key) -> x509.CertificateBuilder:
        now = datetime.datetime.now(datetime.UTC)
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
        )

    def write(self, path: Path) -> Path:
        """Writes this authority's certificate (PEM) to ``path`` and returns the path."""
        path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))
        return path

    def issue(self, address: str, directory: Path) -> tuple[Path, Path]:
        """Signs a server certificate for the IP ``address`` and writes it and its private key
        to ``directory``; returns the two files."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, address)])
        certificate = (
            self._builder(subject, key.public_key())
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        directory.mkdir(parents=True, exist_ok=True)
        cert_file, key_file = directory / "server.pem", directory / "server.key"
        cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cert_file, key_file


class _Handle(paramiko.SFTPHandle):
    def stat(self):
        return paramiko.SFTPAttributes.from_stat(os.fstat(self.readfile.fileno()))

    def chattr(self, attr):
        return paramiko.SFTP_OK


class RootedSFTP(paramiko.SFTPServerInterface):
    """SFTP over a directory: ``/`` is ``root``, and so is the login directory."""

    def __init__(self, server, *args, root: str, events: list, **kwargs) -> None:
        super().__init__(server, *args, **kwargs)
        self.root, self.events = root, events

    def canonicalize(self, path):
        return posixpath.normpath(posixpath.join("/", path))

    def _real(self, path) -> str:
        return os.path.join(self.root, self.canonicalize(path).lstrip("/"))

    def _call(self, function, *args):
        try:
            return function(*args)
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)

    def list_folder(self, path):
        real = self._real(path)

        def listing():
            return [
                paramiko.SFTPAttributes.from_stat(os.stat(os.path.join(real, n)), n)
                for n in os.listdir(real)
            ]

        return self._call(listing)

    def stat(self, path):
        return self._call(lambda: paramiko.SFTPAttributes.from_stat(os.stat(self._real(path))))

    lstat = stat

    def open(self, path, flags, attr):
        def opened():
            fd = os.open(self._real(path), flags, 0o644)
            if flags & (os.O_WRONLY | os.O_RDWR):
                self.events.append(("stored", posixpath.basename(path)))
            if flags & (os.O_WRONLY | os.O_RDWR):
                mode = "ab" if flags & os.O_APPEND else ("wb" if flags & os.O_WRONLY else "r+b")
            else:
                mode = "rb"
            handle = _Handle(flags)
            handle.readfile = handle.writefile = os.fdopen(fd, mode)
            return handle

        return self._call(opened)

    def remove(self, path):
        return self._call(lambda: os.remove(self._real(path)) or paramiko.SFTP_OK)

    def rename(self, oldpath, newpath):
        def renamed():
            if os.path.exists(self._real(newpath)):
                return paramiko.SFTP_FAILURE  # plain SFTP rename never replaces a file
            os.rename(self._real(oldpath), self._real(newpath))
            return paramiko.SFTP_OK

        return self._call(renamed)

    def posix_rename(self, oldpath, newpath):
        def renamed():
            os.replace(self._real(oldpath), self._real(newpath))
            self.events.append(
                ("renamed", posixpath.basename(oldpath), posixpath.basename(newpath))
            )
            return paramiko.SFTP_OK

        return self._call(renamed)

    def mkdir(self, path, attr):
        return self._call(lambda: os.mkdir(self._real(path)) or paramiko.SFTP_OK)

    def chattr(self, path, attr):
        return paramiko.SFTP_OK


class _Auth(paramiko.ServerInterface):
    def __init__(self, server: SftpServer) -> None:
        self.server = server

    def get_allowed_auths(self, username):
        return "password,publickey"

    def check_auth_password(self, username, password):
        self.server.logins.append(username)
        if (username, password) == (self.server.user, self.server.password):
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_auth_publickey(self, username, key):
        self.server.logins.append(username)
        known = self.server.client_key
        if known is not None and username == self.server.user and key == known:
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind, chanid):
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


class SftpServer:
    """A paramiko SFTP server over ``root``: one user, a password and/or a public key; ``events``
    lists the files opened for writing and the renames."""

    def __init__(
        self,
        root: Path,
        user: str,
        password: str | None = None,
        client_key: paramiko.PKey | None = None,
        host_key: paramiko.PKey | None = None,
    ) -> None:
        self.root, self.user, self.password, self.client_key = root, user, password, client_key
        self.host_key = host_key or paramiko.ECDSAKey.generate()
        self.logins: list[str] = []
        self.events: list[tuple[str, ...]] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.transports: list[paramiko.Transport] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def known_hosts_line(self, key: paramiko.PKey | None = None) -> str:
        """The known_hosts line for this server (with its own key, or another one)."""
        key = key or self.host_key
        return f"[127.0.0.1]:{self.port} {key.get_name()} {key.get_base64()}\n"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            conn.settimeout(None)
            transport = paramiko.Transport(conn)
            transport.add_server_key(self.host_key)
            transport.set_subsystem_handler(
                "sftp", paramiko.SFTPServer, RootedSFTP, root=self.root, events=self.events
            )
            self.transports.append(transport)
            try:
                transport.start_server(server=_Auth(self))
            except (paramiko.SSHException, EOFError, OSError):
                continue

    def __enter__(self) -> SftpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        for transport in self.transports:
            transport.close()
        self.sock.close()


class SilentServer:
    """Accepts TCP connections (the kernel does) and never says a word: a hung server."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=8)
        self.port = self.sock.getsockname()[1]

    def __enter__(self) -> SilentServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


def closed_port() -> int:
    """Returns a port on 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
