"""The shared password: kept as a salted scrypt hash, checked in constant time, guesses slowed after a few misses."""
from __future__ import annotations

import pytest

from core.access.passwords import Throttle, check_hash, hash_password, verify_password
from core.cli.main import main


def test_a_hash_verifies_its_password_only_and_is_salted():
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$") and "correct horse" not in stored
    assert verify_password("correct horse", stored)
    assert not verify_password("correct hors", stored) and not verify_password("Correct horse", stored)
    assert hash_password("correct horse") != stored


@pytest.mark.parametrize("password, why", [("", "empty"), ("short", "shorter than 8")])
def test_weak_passwords_are_refused(password, why):
    with pytest.raises(ValueError, match=why):
        hash_password(password)


@pytest.mark.parametrize("stored", ["correct horse", "scrypt$1$2$3$!!$!!", "bcrypt$x", "scrypt$0$8$1$YQ==$YQ==", ""])
def test_anything_but_a_hash_in_the_secrets_says_how_to_make_one(stored):
    with pytest.raises(ValueError, match="python -m core hash-password"):
        check_hash(stored)


def test_after_five_tries_a_client_waits_until_a_minute_after_its_last():
    now = [0.0]
    throttle = Throttle(tries=5, window=60, clock=lambda: now[0])
    for _ in range(5):
        assert throttle.attempt("guesser") == 0
        now[0] += 1
    assert throttle.attempt("guesser") == pytest.approx(59)  # a minute after the last try, at 4
    assert throttle.attempt("someone else") == 0
    now[0] = 64.5
    assert throttle.attempt("guesser") == 0


def test_a_right_password_takes_its_try_back():
    throttle = Throttle(tries=2, window=60, clock=lambda: 0.0)
    for _ in range(5):
        assert throttle.attempt("ada") == 0
        throttle.succeeded("ada")
    assert throttle.attempt("ada") == 0 and throttle.attempt("ada") == 0 and throttle.attempt("ada") > 0


def test_the_command_line_prints_the_lines_for_the_secrets_file(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("correct horse battery\n"))
    assert main(["hash-password"]) == 0
    out = capsys.readouterr().out
    section, line = out.splitlines()
    stored = line.removeprefix('password_hash = "').removesuffix('"')
    assert section == "[access]" and verify_password("correct horse battery", stored)
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("short\n"))
    assert main(["hash-password"]) == 2
    assert "shorter than 8" in capsys.readouterr().err
