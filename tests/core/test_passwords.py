"""The shared password: kept as a salted scrypt hash, checked in constant time, guesses slowed after a few misses."""
from __future__ import annotations

import pytest

from core.cli import main
from core.passwords import Throttle, check_hash, hash_password, verify_password


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


def test_after_five_misses_tries_wait_until_a_minute_has_passed():
    now = [0.0]
    throttle = Throttle(tries=5, window=60, clock=lambda: now[0])
    for _ in range(5):
        assert throttle.wait_seconds() == 0
        throttle.failed()
        now[0] += 1
    assert throttle.wait_seconds() == pytest.approx(59)  # a minute after the last miss, at 4
    now[0] = 64.5
    assert throttle.wait_seconds() == 0


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
