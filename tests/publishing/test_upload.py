"""Uploads of publishing runs to real FTP, FTPS and SFTP servers on 127.0.0.1: files arrive whole,
failures fail the run without moving the profile on, host keys and certificates are checked,
passwords stay secret.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import paramiko
import pytest

from indexer.publishing.profile import ProfileError, PublishProfile
from indexer.publishing.profiles import Profiles
from indexer.publishing.runner import run_profile
from indexer.publishing.upload import UploadError
from tests.publishing.upload_servers import (
    CertificateAuthority,
    FtpServer,
    SftpServer,
    SilentServer,
    closed_port,
)

USER = "pub"
PASSWORD = "Tr0ub4dor&3-upload"
ENV = "PRESSMARK_TEST_UPLOAD_PASSWORD"


@pytest.fixture
def password(monkeypatch) -> str:
    monkeypatch.setenv(ENV, PASSWORD)
    return PASSWORD


@pytest.fixture
def ftp(tmp_path):
    home = tmp_path / "ftp_home"
    home.mkdir()
    with FtpServer(home, USER, PASSWORD) as server:
        yield server


@pytest.fixture
def ca() -> CertificateAuthority:
    return CertificateAuthority("Pressmark test CA")


@pytest.fixture
def ftps(tmp_path, ca):
    """An FTPS server whose certificate for 127.0.0.1 is signed by ``ca``."""
    home = tmp_path / "ftps_home"
    home.mkdir()
    with FtpServer(home, USER, PASSWORD, tls=ca.issue("127.0.0.1", tmp_path / "tls")) as server:
        yield server


@pytest.fixture
def sftp(tmp_path):
    root = tmp_path / "sftp_root"
    root.mkdir()
    with SftpServer(root, USER, PASSWORD, client_key=paramiko.ECDSAKey.generate()) as server:
        yield server


def save(store, tmp_path: Path, url: str, **settings) -> PublishProfile:
    settings = {"upload_password_env": ENV, "compress": False, **settings}
    profile = PublishProfile(name="disc", output=str(tmp_path / "out"), upload=url, **settings)
    return Profiles(store).save(profile)


def known_hosts(tmp_path: Path, server: SftpServer, key: paramiko.PKey | None = None) -> str:
    path = tmp_path / "known_hosts"
    path.write_text(server.known_hosts_line(key), encoding="ascii")
    return str(path)


def remote_files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()}


def local_files(run) -> dict[str, bytes]:
    return {Path(f).name: Path(f).read_bytes() for f in run.files}


def written_then_renamed(events: list[tuple[str, ...]], names) -> bool:
    """Whether each file was written under NAME.part, then renamed NAME, and nothing else."""
    expected = []
    for name in sorted(names):
        expected += [("stored", f"{name}.part"), ("renamed", f"{name}.part", name)]
    return events == expected


def test_ftp_upload_delivers_every_file_byte_identical(store, tmp_path, ftp, password, caplog):
    caplog.set_level(logging.INFO, logger="indexer")
    url = f"ftp://{USER}@127.0.0.1:{ftp.port}/incoming/catalogue"
    save(store, tmp_path, url, max_file_bytes=30_000)
    run = run_profile(store, "disc")
    assert run.status == "done" and len(run.files) > 2
    arrived = remote_files(ftp.home / "incoming" / "catalogue")
    assert arrived == local_files(run)  # complete, identical, and no *.part left
    assert written_then_renamed(ftp.events, arrived)
    assert run.uploads == [f"{url}/{name}" for name in sorted(arrived)]
    assert Profiles(store).runs("disc")[0].uploads == run.uploads
    for name in arrived:
        assert f"uploaded {name} to {url}" in caplog.text
    # the next run adds its file beside the others
    store.inventory.set_item_status("39000002", "loaned")
    again = run_profile(store, "disc")
    assert (again.mode, again.records, len(again.uploads)) == ("incremental", 1, 1)
    assert remote_files(ftp.home / "incoming" / "catalogue") == {
        **local_files(run),
        **local_files(again),
    }


def test_sftp_upload_with_password_and_with_key(store, tmp_path, sftp, password):
    hosts = known_hosts(tmp_path, sftp)
    url = f"sftp://{USER}@127.0.0.1:{sftp.port}/drop"
    save(store, tmp_path, url, compress=True, upload_known_hosts=hosts)
    run = run_profile(store, "disc")
    assert run.status == "done" and run.files[0].endswith(".tar.gz")
    assert remote_files(sftp.root / "drop") == local_files(run)
    assert written_then_renamed(sftp.events, local_files(run))

    key_file = tmp_path / "id_ecdsa"
    sftp.client_key.write_private_key_file(str(key_file))
    save(
        store,
        tmp_path,
        f"sftp://{USER}@127.0.0.1:{sftp.port}/~/keyed",
        upload_password_env="",
        upload_key=str(key_file),
        upload_known_hosts=hosts,
    )
    full = run_profile(store, "disc", full=True)
    assert full.status == "done"
    assert remote_files(sftp.root / "keyed") == local_files(full)


def test_wrong_password_fails_the_run_and_the_next_run_repeats_the_changes(
    store, tmp_path, ftp, monkeypatch, password
):
    url = f"ftp://{USER}@127.0.0.1:{ftp.port}/in"
    save(store, tmp_path, url)
    first = run_profile(store, "disc")
    position = Profiles(store).get("disc").last_seq
    changed = store.inventory.set_item_status("39000002", "loaned")
    monkeypatch.setenv(ENV, "not-the-password")
    with pytest.raises(UploadError) as failure:
        run_profile(store, "disc")
    message = str(failure.value)
    assert f"to {url} failed" in message and "530" in message
    failed = Profiles(store).runs("disc")[0]
    assert (failed.status, failed.message, failed.uploads) == ("failed", message, [])
    assert failed.records == 1 and all(Path(f).exists() for f in failed.files)
    assert Path(failed.files[0]).name in message
    assert Profiles(store).get("disc").last_seq == position
    assert remote_files(ftp.home / "in") == local_files(first)

    monkeypatch.setenv(ENV, PASSWORD)
    retry = run_profile(store, "disc")
    assert (retry.status, retry.from_seq, retry.records) == ("done", position, 1)
    assert changed.encode() in b"".join(local_files(retry).values())
    assert Profiles(store).get("disc").last_seq > position


@pytest.mark.parametrize("scheme", ["ftp", "sftp"])
def test_unreachable_or_silent_server_fails_clearly_within_the_timeout(
    store, tmp_path, password, scheme
):
    url = f"{scheme}://{USER}@127.0.0.1:{closed_port()}/in"
    save(store, tmp_path, url, upload_timeout=0.5)
    with pytest.raises(UploadError, match=f"to {url} failed \\(connect\\): .*(refused|Unable)"):
        run_profile(store, "disc")
    with SilentServer() as silent:
        url = f"{scheme}://{USER}@127.0.0.1:{silent.port}/in"
        save(store, tmp_path, url, upload_timeout=0.5)
        started = time.monotonic()
        with pytest.raises(UploadError, match="no answer within 0.5 s"):
            run_profile(store, "disc")
        assert time.monotonic() - started < 10
    runs = Profiles(store).runs("disc")
    assert [r.status for r in runs] == ["failed", "failed"]
    assert Profiles(store).get("disc").last_seq == 0


def test_unknown_or_changed_host_key_is_refused_before_logging_in(store, tmp_path, sftp, password):
    url = f"sftp://{USER}@127.0.0.1:{sftp.port}/in"
    other = paramiko.ECDSAKey.generate()
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("", encoding="ascii")
    save(store, tmp_path, url, upload_known_hosts=str(empty))
    with pytest.raises(
        UploadError, match=f"unknown host key .*{re.escape(sftp.host_key.fingerprint)}"
    ):
        run_profile(store, "disc")
    save(store, tmp_path, url, upload_known_hosts=known_hosts(tmp_path, sftp, other))
    with pytest.raises(UploadError, match="does not match"):
        run_profile(store, "disc")
    save(store, tmp_path, url, upload_known_hosts=str(tmp_path / "missing"))
    with pytest.raises(UploadError, match="does not exist"):
        run_profile(store, "disc")
    assert sftp.logins == []  # the password was never offered
    assert not (sftp.root / "in").exists()


def test_trust_on_first_use_records_the_key_then_checks_it(store, tmp_path, sftp, password):
    hosts = tmp_path / "learned_known_hosts"
    url = f"sftp://{USER}@127.0.0.1:{sftp.port}/in"
    save(store, tmp_path, url, upload_known_hosts=str(hosts), upload_trust_new_host=True)
    assert run_profile(store, "disc").status == "done"
    assert hosts.read_text(encoding="ascii") == sftp.known_hosts_line()
    # a different key at the same address is refused, never re-learned
    with SftpServer(sftp.root, USER, PASSWORD) as impostor:
        line = impostor.known_hosts_line(sftp.host_key)
        hosts.write_text(line, encoding="ascii")
        save(
            store,
            tmp_path,
            f"sftp://{USER}@127.0.0.1:{impostor.port}/in",
            upload_known_hosts=str(hosts),
            upload_trust_new_host=True,
        )
        with pytest.raises(UploadError, match="does not match"):
            run_profile(store, "disc", full=True)
        assert impostor.logins == []
    assert hosts.read_text(encoding="ascii") == line


def test_ftps_refuses_a_server_without_tls_before_sending_the_password(
    store, tmp_path, ftp, password
):
    save(store, tmp_path, f"ftps://{USER}@127.0.0.1:{ftp.port}/in")
    with pytest.raises(UploadError, match="AUTH"):
        run_profile(store, "disc")
    assert ftp.logins == []


def test_ftps_upload_to_a_server_the_client_trusts_delivers_every_file(
    store, tmp_path, ca, ftps, password, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG, logger="indexer.publishing.upload")
    # the client checks the certificate against the default CA file, which SSL_CERT_FILE names
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.write(tmp_path / "ca.pem")))
    url = f"ftps://{USER}@127.0.0.1:{ftps.port}/incoming/catalogue"
    save(store, tmp_path, url, max_file_bytes=30_000)
    run = run_profile(store, "disc")
    assert run.status == "done" and len(run.files) > 2
    # the server takes the login and the data only over TLS, so all of it went encrypted
    assert ftps.logins == [USER]
    arrived = remote_files(ftps.home / "incoming" / "catalogue")
    assert arrived == local_files(run)
    assert written_then_renamed(ftps.events, arrived)
    assert run.uploads == [f"{url}/{name}" for name in sorted(arrived)]
    assert re.search(
        r"FTPS: ([1-9]\d*) of \1 data connections resumed the TLS session", caplog.text
    )


@pytest.mark.parametrize(
    ("trusted", "address", "error"),
    [
        (None, "127.0.0.1", "unable to get local issuer certificate"),
        ("another CA", "127.0.0.1", "unable to get local issuer certificate"),
        ("the server's CA", "127.0.0.2", "IP address mismatch"),
    ],
)
def test_ftps_refuses_an_untrusted_certificate_before_sending_the_password(
    store, tmp_path, ca, password, monkeypatch, trusted, address, error
):
    if trusted is None:  # the system's CA store, which knows nothing of this test's CA
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    else:
        authority = ca if trusted == "the server's CA" else CertificateAuthority("Another CA")
        monkeypatch.setenv("SSL_CERT_FILE", str(authority.write(tmp_path / "ca.pem")))
    home = tmp_path / "ftps_home"
    home.mkdir()
    with FtpServer(home, USER, PASSWORD, tls=ca.issue(address, tmp_path / "tls")) as server:
        url = f"ftps://{USER}@127.0.0.1:{server.port}/in"
        save(store, tmp_path, url)
        with pytest.raises(UploadError, match=f"\\(connect\\): .*certificate .*{error}"):
            run_profile(store, "disc")
        assert server.logins == []  # the password was never offered
    assert Profiles(store).runs("disc")[0].status == "failed"
    assert Profiles(store).get("disc").last_seq == 0
    assert not (home / "in").exists()


def test_the_password_appears_in_no_history_log_output_or_database(
    app, runner, tmp_path, ftp, sftp, password, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG)
    hosts = known_hosts(tmp_path, sftp)
    outputs = []
    for url, extra in (
        (f"ftp://{USER}@127.0.0.1:{ftp.port}/in", []),
        (f"sftp://{USER}@127.0.0.1:{sftp.port}/in", ["--upload-known-hosts", hosts]),
    ):
        name = url.split(":")[0]
        define = ["publish", "define", name, "-o", str(tmp_path / name), "--upload", url]
        define += ["--upload-password-env", ENV, "--no-compress", "--interval", "60", *extra]
        outputs.append(runner.invoke(args=define))
        assert outputs[-1].exit_code == 0, outputs[-1].output
        outputs.append(runner.invoke(args=["publish", "run", name]))
        assert outputs[-1].exit_code == 0, outputs[-1].output
        assert "uploaded 1 file to " + url in outputs[-1].output
    monkeypatch.setenv(ENV, PASSWORD + "x")  # a wrong password that contains the right one
    outputs.append(runner.invoke(args=["publish", "run", "ftp", "sftp", "--full"]))
    assert outputs[-1].exit_code == 1
    assert outputs[-1].output.count("run failed: upload of") == 2
    outputs.append(runner.invoke(args=["publish", "history"]))
    outputs.append(runner.invoke(args=["publish", "list"]))
    history = outputs[-2].output
    assert history.count("uploaded 1 file to") == 2 and history.count(" failed  ") == 2
    for result in outputs:
        assert PASSWORD not in result.output
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("pyftpdlib")]
    assert any("uploaded" in m for m in ours)
    assert not any(PASSWORD in m for m in ours)
    database = Path(app.config["DATABASE"])
    for path in database.parent.glob(database.name + "*"):
        assert PASSWORD.encode() not in path.read_bytes()


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"upload": "ftp://pub:hunter2@example.org/in"}, "must not hold a password"),
        ({"upload": "http://example.org/in"}, "ftp://, ftps:// or sftp://"),
        ({"upload": "sftp://example.org/in", "upload_password_env": ENV}, "needs a user"),
        ({"upload": "sftp://pub@example.org/in"}, "password variable or a private key"),
        ({"upload": "ftp://pub@example.org/in"}, "environment variable"),
        ({"upload": "ftp://example.org/in", "upload_key": "k"}, "sftp:// only"),
        ({"upload_password_env": ENV}, "need an upload URL"),
        ({"upload": "ftp://pub@example.org/in", "upload_password_env": "A-B"}, "not an environ"),
        (
            {"upload": "sftp://p@h/in", "upload_key": "k", "upload_trust_new_host": True},
            "needs a known_hosts file",
        ),
        ({"upload": "ftp://example.org:99999/in"}, "not valid"),
    ],
)
def test_bad_upload_settings_are_refused_when_the_profile_is_saved(
    store, tmp_path, settings, error
):
    with pytest.raises(ProfileError, match=error) as refused:
        Profiles(store).save(PublishProfile(name="disc", output=str(tmp_path), **settings))
    assert "hunter2" not in str(refused.value)
    assert Profiles(store).all() == []


def test_a_missing_password_variable_fails_the_run_clearly(store, tmp_path, ftp, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    save(store, tmp_path, f"ftp://{USER}@127.0.0.1:{ftp.port}/in")
    with pytest.raises(UploadError, match=f"environment variable {ENV} .* is not set"):
        run_profile(store, "disc")
    assert Profiles(store).runs("disc")[0].status == "failed"
    assert ftp.logins == []
