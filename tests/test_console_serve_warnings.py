"""`callqa console serve` warns when it listens beyond this machine unprotected."""

from __future__ import annotations

import pytest

from callqa.cli_console import _warn_if_exposed

LOCAL = ["127.0.0.1", "localhost", "127.0.0.1", "::1"]


def test_loopback_with_defaults_says_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    _warn_if_exposed("127.0.0.1", LOCAL, named=False, secure_cookies=False)
    assert capsys.readouterr().err == ""


def test_every_address_without_a_name_or_tls_gets_both_warnings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _warn_if_exposed("0.0.0.0", ["0.0.0.0", *LOCAL[1:]], named=False, secure_cookies=False)
    err = " ".join(capsys.readouterr().err.split())
    assert "--allowed-host NAME" in err
    assert "without --secure-cookies" in err


def test_a_named_host_behind_tls_is_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    _warn_if_exposed("0.0.0.0", ["0.0.0.0", *LOCAL[1:]], named=True, secure_cookies=True)
    assert capsys.readouterr().err == ""
