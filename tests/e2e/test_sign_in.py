"""Sign-in in a real browser: the server as the README runs it, with single sign-on against a stand-in OpenID
Connect provider on loopback (Streamlit's own st.login flow, PKCE and signed cookies included), then with a shared
password. Each person sees their own datasets and what others share; a reload keeps them signed in."""
from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request
from typing import Iterator

import pytest
from playwright.sync_api import expect

from core.access.ownership import Viewer
from core.access.passwords import hash_password
from core.data.splitting import split
from core.store.datasets import save_dataset
from core.store.store import Store
from tests.conftest import make_texts
from tests.e2e.conftest import FIRST_LOAD_MS, ROOT, Server, free_port, shot, stop_process_group

pytestmark = pytest.mark.e2e
CLIENT, SECRET = "classifier-studio", "client-secret-for-tests"
PASSWORD = "a shared password"


@pytest.fixture
def provider(artifacts) -> Iterator[str]:
    """The stand-in provider's address."""
    port = free_port()
    with open(artifacts / "provider.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "tests.e2e.fake_oidc", str(port), CLIENT, SECRET], cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, f"the stand-in provider exited with code {proc.returncode}"
            try:
                urllib.request.urlopen(f"{url}/.well-known/openid-configuration", timeout=2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the stand-in provider did not answer within 30 s"
                time.sleep(0.2)
        yield url
    finally:
        stop_process_group(proc)


@pytest.fixture
def server_with(tmp_path, artifacts) -> Iterator:
    """`server_with(secrets)`: the app started with a secrets file; `{url}` in it becomes the server's address."""
    servers = []

    def start(secrets: str) -> Server:
        path = tmp_path / "secrets.toml"
        server = Server(tmp_path / "workspace", artifacts / "server.log", ["--secrets.files", str(path)])
        path.write_text(secrets.replace("{url}", server.url))
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()


def as_shown(text: str) -> re.Pattern:
    """`text` as a page shows it: a word joiner (U+2060) after each @ keeps an address from becoming a link."""
    return re.compile(re.escape(text).replace("@", "@\u2060"))


def approve_next(provider: str, email: str) -> None:
    """The stand-in provider signs in `email` next."""
    urllib.request.urlopen(urllib.request.Request(f"{provider}/person?email={email}", method="PUT"), timeout=5).close()


def sign_in_as(page, provider: str, email: str) -> None:
    approve_next(provider, email)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("stSidebar")).to_contain_text(as_shown(f"Signed in as {email}"), timeout=FIRST_LOAD_MS)


def test_single_sign_on_gives_each_person_their_datasets_and_what_is_shared(provider, server_with, open_page,
                                                                            artifacts, tmp_path):
    store = Store(tmp_path / "workspace")
    save_dataset(store.as_viewer(Viewer("ada@example.com")), split(make_texts(10), seed=0), "Ada's own topics")
    bob = store.as_viewer(Viewer("bob@example.com"))
    bob.share_dataset(save_dataset(bob, split(make_texts(11), seed=0), "Bob's shared topics").id, True)
    save_dataset(bob, split(make_texts(12), seed=0), "Bob's private topics")
    server = server_with(f"""
[auth]
redirect_uri = "{{url}}/oauth2callback"
cookie_secret = "a-cookie-secret-only-this-test-uses"
client_id = "{CLIENT}"
client_secret = "{SECRET}"
server_metadata_url = "{provider}/.well-known/openid-configuration"

[access]
allowed = ["@example.com"]
""")
    page = open_page()
    server.goto(page, "data")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=FIRST_LOAD_MS)
    expect(page.get_by_text("Ada's own topics")).to_have_count(0)
    shot(page, artifacts, "01-sign-in")

    sign_in_as(page, provider, "ada@example.com")
    server.goto(page, "data")
    saved = page.get_by_test_id("stExpander").filter(has_text="Datasets (2)")
    expect(saved).to_be_visible(timeout=FIRST_LOAD_MS)
    expect(saved).to_contain_text("Ada's own topics")
    expect(saved).to_contain_text("Bob's shared topics")
    expect(saved).to_contain_text(as_shown("Shared by bob@example.com"))
    expect(saved).not_to_contain_text("Bob's private topics")
    shot(page, artifacts, "02-ada-datasets")

    page.reload()  # the signed cookie keeps her signed in
    expect(page.get_by_test_id("stSidebar")).to_contain_text(as_shown("Signed in as ada@example.com"), timeout=FIRST_LOAD_MS)
    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=FIRST_LOAD_MS)

    approve_next(provider, "mallory@elsewhere.example")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(as_shown("The account mallory@elsewhere.example may not use this server"))).to_be_visible(
        timeout=FIRST_LOAD_MS)
    assert page.locator("a[href^='mailto:']").count() == 0  # an address is shown as text, not made a link
    expect(page.get_by_text("Ada's own topics")).to_have_count(0)
    shot(page, artifacts, "03-not-allowed")


def test_a_shared_password_opens_the_app(server_with, open_page, artifacts):
    server = server_with(f'[access]\npassword_hash = "{hash_password(PASSWORD)}"\n')
    page = open_page()
    server.goto(page, "")
    box = page.get_by_label("Password", exact=True)
    expect(box).to_be_visible(timeout=FIRST_LOAD_MS)
    expect(page.get_by_text("Pick a sample dataset")).to_have_count(0)
    box.fill("not it")
    page.get_by_role("button", name="Enter").click()
    expect(page.get_by_text("That is not the password")).to_be_visible()
    box.fill(PASSWORD)
    page.get_by_role("button", name="Enter").click()
    expect(page.get_by_text("Pick a sample dataset")).to_be_visible()
    shot(page, artifacts, "01-in")
