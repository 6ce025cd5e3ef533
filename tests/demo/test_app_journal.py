"""The app's log lines under systemd: masked, to journald's syslog socket (a real datagram socket
here, in a temporary folder), and not sent anywhere outside systemd."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk_app import logbook
from kiosk_data.codes import KIM


@pytest.fixture
def dev_log(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    address = str(tmp_path / "dev-log")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(address)
    server.settimeout(2.0)
    yield server, address
    server.close()


def test_under_systemd_lines_reach_the_journal_socket_masked(root_logger, dev_log, tmp_path) -> None:
    server, address = dev_log
    logbook.install(tmp_path / "data", env={"INVOCATION_ID": "4f3c"}, syslog_address=address)
    logging.getLogger("kiosk_app.lending").info("member %s opened", KIM)
    datagram = server.recv(4096).decode()
    assert datagram.startswith("<30>kiosk: ")          # facility daemon (3), level info (6)
    assert 'logger=kiosk_app.lending msg="member **********0016 opened"' in datagram
    assert KIM not in datagram
    assert KIM not in (tmp_path / "data" / logbook.LOG_FILE).read_text()


def test_journal_stream_alone_also_means_systemd(root_logger, dev_log, tmp_path) -> None:
    server, address = dev_log
    logbook.install(None, env={"JOURNAL_STREAM": "8:12345"}, syslog_address=address)
    logging.getLogger("kiosk_app.app").warning("technician screen opened")
    assert b"level=warning" in server.recv(4096)


def test_outside_systemd_nothing_goes_to_the_socket(root_logger, dev_log) -> None:
    server, address = dev_log
    recent = logbook.install(None, env={}, syslog_address=address)
    logging.getLogger("kiosk_app.app").info("hello")
    server.settimeout(0.2)
    with pytest.raises(TimeoutError):
        server.recv(4096)
    assert recent.tail(1) == ['level=info logger=kiosk_app.app msg="hello"']


def test_without_journald_lines_are_dropped_there_and_kept_elsewhere(root_logger, tmp_path, capsys) -> None:
    recent = logbook.install(tmp_path / "data", env={"INVOCATION_ID": "x"},
                             syslog_address=str(tmp_path / "none"))
    logging.getLogger("kiosk_app.app").error("store refused a patron action")
    assert capsys.readouterr().err == ""                 # stderr is the patron's screen
    assert "store refused" in recent.tail(1)[0]
    assert "store refused" in (tmp_path / "data" / logbook.LOG_FILE).read_text()
