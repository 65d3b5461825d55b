"""The shared password of a server without single sign-on: kept only as a salted scrypt hash in the secrets file,
checked in constant time, and guarded against guessing by a pause after repeated wrong tries."""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
import time
from typing import Callable

SCHEME = "scrypt"
# scrypt's work factors: 2**15 rounds of 8 blocks takes about 0.1 s and 32 MB here, which makes each guess costly.
N, R, P = 2**15, 8, 1
MAX_MEMORY = 64 * 1024 * 1024


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """'scrypt$N$r$p$salt$hash', to put in .streamlit/secrets.toml as [access] password_hash."""
    if not password:
        raise ValueError("The password is empty; choose one of at least 8 characters.")
    if len(password) < 8:
        raise ValueError("The password is shorter than 8 characters; choose a longer one.")
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, maxmem=MAX_MEMORY)
    return "$".join([SCHEME, str(N), str(R), str(P), _b64(salt), _b64(digest)])


def check_hash(stored: str) -> None:
    """Refuse (ValueError) a stored hash that is not one `hash_password` writes, saying how to make one."""
    parts = stored.split("$") if isinstance(stored, str) else []
    try:
        ok = len(parts) == 6 and parts[0] == SCHEME and all(int(x) > 0 for x in parts[1:4])
        ok = ok and bool(base64.b64decode(parts[4], validate=True)) and bool(base64.b64decode(parts[5], validate=True))
    except ValueError:
        ok = False
    if not ok:
        raise ValueError("[access] password_hash in .streamlit/secrets.toml is not a password hash. Make one with "
                         "`python -m core hash-password` and paste the line it prints.")


def verify_password(password: str, stored: str) -> bool:
    check_hash(stored)
    _, n, r, p, salt, digest = stored.split("$")
    expected = base64.b64decode(digest)
    actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                            maxmem=MAX_MEMORY, dklen=len(expected))
    return hmac.compare_digest(actual, expected)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


class Throttle:
    """After `tries` tries within `window` seconds from one client, its next try waits until `window` seconds after
    its last. A try counts from the moment it is made, so tries sent at once cannot slip through together, and a
    right password takes its own try back. Clients are told apart by address; one guesser then cannot lock out the
    rest, though behind a proxy every client shares the proxy's address."""

    def __init__(self, tries: int = 5, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.tries, self.window, self.clock = tries, window, clock
        self._tries: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def attempt(self, client: str) -> float:
        """0 when `client` may try now (the try is counted); else how many seconds until it may."""
        with self._lock:
            now = self.clock()
            recent = [t for t in self._tries.get(client, []) if now - t < self.window]
            if len(recent) >= self.tries:
                self._tries[client] = recent
                return self.window - (now - recent[-1])
            self._tries[client] = [*recent, now]
            return 0.0

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._tries[client] = self._tries.get(client, [])[:-1]
