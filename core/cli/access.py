"""`python -m core hash-password` and `python -m core limits`: what an administrator needs to open a shared server."""
from __future__ import annotations

import argparse
import getpass
import sys
from dataclasses import fields

from core.access.limits import Limits
from core.access.passwords import hash_password
from core.settings import SETTINGS


def cmd_hash_password(args: argparse.Namespace) -> int:
    if sys.stdin.isatty():
        password = getpass.getpass("Password for the server: ")
        if getpass.getpass("The same again: ") != password:
            raise ValueError("The two passwords differ; nothing was written.")
    else:  # piped in, as from a password manager: the first line
        password = sys.stdin.readline().rstrip("\r\n")
    line = hash_password(password)
    print("Put these lines in .streamlit/secrets.toml, then restart the app:", file=sys.stderr)
    print(f'[access]\npassword_hash = "{line}"')
    return 0


def cmd_limits(args: argparse.Namespace) -> int:
    limits = Limits.from_env()
    for spec in fields(Limits):
        value = getattr(limits, spec.name)
        shown = "no limit" if not value else f"{value:,}"
        setting = SETTINGS[spec.metadata["setting"]]
        print(f"{setting.metadata['env']:36} {shown:>12}  {setting.metadata['help']}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("hash-password", help="hash a shared password for .streamlit/secrets.toml (read from the terminal, "
                                         "or the first line of stdin)").set_defaults(func=cmd_hash_password)
    sub.add_parser("limits", help="the limits in force for uploads, datasets and runs, and the variables that set "
                                  "them").set_defaults(func=cmd_limits)
