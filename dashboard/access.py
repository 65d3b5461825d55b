"""Who may use the app, from `.streamlit/secrets.toml`: single sign-on through OpenID Connect when an `[auth]`
section configures it (Streamlit's `st.login`), else a shared password when `[access] password_hash` holds one,
else anyone who reaches the server: it listens on this machine only unless told otherwise, and on the network it
stays shut without sign-in or a password unless `[access] open = true` says a proxy in front asks for a login.

A setting that cannot be used stops every page with a message for the administrator: the app never opens up
because its access settings are wrong.
"""
from __future__ import annotations

import ipaddress
import tomllib
from pathlib import Path
from typing import Any, Mapping

import streamlit as st

from core.access.ownership import Viewer
from core.access.passwords import Throttle, check_hash, verify_password
from dashboard.components import escape_md
from dashboard.state import VIEWER

PASSED = "access.password_ok"  # this session gave the shared password
SETTINGS_HELP = "See “Running on a shared server” in the README."


@st.cache_resource
def _throttle() -> Throttle:
    return Throttle()


def _secrets() -> Mapping[str, Any]:
    # Streamlit reads a secrets file it cannot parse as no secrets at all, which would open the app to everyone.
    for name in st.get_option("secrets.files"):
        path = Path(name).expanduser()
        try:
            tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            _refuse(f"The secrets file {escape_md(path)} cannot be read ({escape_md(exc)}), so no one can be let in.")
    return st.secrets if st.secrets.load_if_toml_exists() else {}


def _on_the_network() -> bool:
    """Whether the server listens beyond this machine: on an address that is not loopback, or on every one."""
    address = st.get_option("server.address") or ""
    if address == "localhost":
        return False
    try:
        return not ipaddress.ip_address(address).is_loopback
    except ValueError:  # a host name, or none given (every interface)
        return True


def _providers(auth: Mapping[str, Any]) -> list[str | None]:
    """None for the provider set at the top of [auth], then the names of those in [auth.NAME] sections."""
    named = [name for name, value in auth.items() if isinstance(value, Mapping) and "client_id" in value]
    return ([None] if "client_id" in auth else []) + named


def _refuse(message: str) -> None:
    st.title("Classifier Studio")
    st.error(f"{message} {SETTINGS_HELP}")
    st.stop()


def _identity(user: Mapping[str, Any]) -> str:
    # An address the provider does not say it has checked could have been typed in by anyone (some providers let
    # an account holder set it), so it names no one; the provider's subject id does.
    if user.get("email") and user.get("email_verified") is True:
        return str(user["email"])
    return str(user.get("sub") or "")


def allowed(identity: str, rules: list[str]) -> bool:
    """Whether `identity` is let in by [access] allowed: full addresses, domains written as '@example.com', or '*'
    for everyone the provider signs in."""
    identity = identity.lower()
    return any(r == "*" or identity == r.lower() or (r.startswith("@") and identity.endswith(r.lower())) for r in rules)


def _single_sign_on(auth: Mapping[str, Any], access: Mapping[str, Any]) -> Viewer:
    providers = _providers(auth)
    if not providers:
        _refuse("Sign-in is switched on ([auth] in .streamlit/secrets.toml) but names no provider: it needs "
                "client_id, client_secret and server_metadata_url.")
    if not access.get("allowed"):
        _refuse("Sign-in is switched on but [access] allowed does not say who may use the app: list addresses and "
                "domains (\"@example.com\"), or \"*\" for everyone the provider signs in.")
    if not st.user.get("is_logged_in", False):
        st.title("Classifier Studio")
        st.write("Sign in to see your datasets and runs, and those shared with you.")
        for provider in providers:
            label = "Sign in" if provider is None else f"Sign in with {provider.capitalize()}"
            if st.button(label, type="primary", key=f"sign_in.{provider or 'default'}"):
                st.login(*(() if provider is None else (provider,)))
        st.stop()
    identity = _identity(st.user)
    if not identity or not allowed(identity, list(access.get("allowed", []))):
        st.title("Classifier Studio")
        st.error(f"The account {escape_md(identity or 'you signed in with')} may not use this server. Sign in with "
                 "another account, or ask the administrator to add yours.")
        st.button("Sign out", on_click=st.logout)
        st.stop()
    return Viewer(identity, admin=identity.lower() in {a.lower() for a in access.get("admins", [])})


def _client() -> str:
    """Who is trying the password, as far as the server can tell: the browser's address."""
    return str(st.context.ip_address or "unknown")


def _password(stored: str) -> None:
    try:
        check_hash(stored)
    except ValueError as exc:
        _refuse(str(exc))
    if st.session_state.get(PASSED):
        return
    st.title("Classifier Studio")
    with st.form("password"):
        password = st.text_input("Password", type="password", help="The password your administrator gave you.")
        entered = st.form_submit_button("Enter", type="primary")
    if entered:
        client = _client()
        wait = _throttle().attempt(client)
        if wait:
            st.error(f"Too many wrong passwords were tried. Try again in {wait:.0f} s.")
        elif verify_password(password, stored):
            _throttle().succeeded(client)
            st.session_state[PASSED] = True
            st.rerun()
        else:
            st.error("That is not the password. Check it with your administrator; capitals count.")
    st.stop()


def gate() -> Viewer | None:
    """Stop the page unless its visitor may use the app; returns who they are when sign-in is on."""
    secrets = _secrets()
    access = secrets.get("access", {})
    if "auth" in secrets:
        viewer = _single_sign_on(secrets["auth"], access)
    elif "password_hash" in access:
        _password(access["password_hash"])
        viewer = None
    elif _on_the_network() and access.get("open") is not True:
        _refuse("This server listens on the network but asks no one to sign in, so anyone who reaches it could use "
                "and read everything. Configure sign-in or a password in .streamlit/secrets.toml; or, when a proxy in "
                "front already asks for a login, say so with [access] open = true.")
    else:
        viewer = None
    st.session_state[VIEWER] = viewer
    return viewer


def account_box() -> None:
    """In the sidebar: who is signed in, and the way out."""
    viewer = st.session_state.get(VIEWER)
    if viewer is not None:
        role = " (administrator)" if viewer.admin else ""
        st.caption(f"Signed in as {escape_md(viewer.id)}{role}")
        st.button("Sign out", key="sign_out", on_click=st.logout)
    elif st.session_state.get(PASSED):
        st.button("Lock", key="lock", on_click=st.session_state.pop, args=(PASSED,),
                  help="Ask for the password again in this tab.")
