"""Who gets in: single sign-on when [auth] is configured, else the shared password when [access] holds its hash,
else everyone. With sign-in on, each person's pages hold their own datasets and runs and those shared with them."""
from __future__ import annotations

from unittest.mock import patch

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from core.access.ownership import Viewer
from core.access.passwords import hash_password
from core.models.bundle import run_zip
from core.models.imported import import_model
from core.runs.backends.processes import process_started
from core.store.uploads import keep_upload
from core.wording import literal_markdown as md
from dashboard import access
from tests.app.conftest import ENTRYPOINT, PAGES, TIMEOUT, train_inline
from tests.app.hostile_sweep import page_strings
from tests.conftest import make_texts

AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s" * 32, "client_id": "studio",
        "client_secret": "secret", "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD)


def app(secrets: dict, user: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ENTRYPOINT), default_timeout=TIMEOUT)
    at.secrets = secrets
    if user is not None:
        at.user = user
    return at.run()


def signed_in(email: str, access: dict | None = None, **claims) -> AppTest:
    user = {"is_logged_in": True, "email": email, "email_verified": True, **claims}
    return app({"auth": AUTH, "access": access or {"allowed": ["*"]}}, user)


def shown(at: AppTest) -> str:
    """All the page says, select options and tables' settings included."""
    return " ".join(page_strings(at))


def home_shown(at: AppTest) -> bool:
    return any("Pick a sample dataset" in m.value for m in at.markdown)


def test_without_access_settings_the_app_opens(store):
    at = app({})
    assert not at.exception and not at.text_input and home_shown(at)


def test_the_password_opens_the_app_and_a_wrong_one_says_so(store, password_hash):
    at = app({"access": {"password_hash": password_hash}})
    assert [t.value for t in at.title] == ["Classifier Studio"] and len(at.text_input) == 1
    assert not home_shown(at) and not at.sidebar.button  # no page, no sidebar, until the password is given
    at.text_input[0].input("Correct horse battery")
    at.button[0].click().run()
    assert "not the password" in at.error[0].value and len(at.text_input) == 1
    at.text_input[0].input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception and not at.text_input and home_shown(at)
    at.sidebar.button(key="lock").click().run()
    assert len(at.text_input) == 1 and not home_shown(at)  # locked again


def test_guessing_is_slowed_for_the_guesser_only(store, password_hash, monkeypatch):
    client = ["10.0.0.66"]
    monkeypatch.setattr(access, "_client", lambda: client[0])
    guesser = app({"access": {"password_hash": password_hash}})
    for _ in range(5):
        guesser.text_input[0].input("wrong guess")
        guesser.button[0].click().run()
    guesser.text_input[0].input(PASSWORD)
    guesser.button[0].click().run()
    assert "Too many wrong passwords" in guesser.error[0].value and not home_shown(guesser)
    client[0] = "10.0.0.7"  # another browser is not locked out by the guesser
    other = app({"access": {"password_hash": password_hash}})
    other.text_input[0].input(PASSWORD)
    other.button[0].click().run()
    assert home_shown(other)


def test_a_password_kept_in_the_clear_keeps_the_app_closed(store):
    at = app({"access": {"password_hash": PASSWORD}})
    assert "python -m core hash-password" in at.error[0].value
    assert not at.text_input and not home_shown(at)


def test_single_sign_on_asks_to_sign_in_with_each_provider(store):
    at = app({"auth": {**AUTH, "google": {"client_id": "g", "client_secret": "s", "server_metadata_url": "x"}},
              "access": {"allowed": ["*"]}}, {"is_logged_in": False})
    assert [b.label for b in at.button] == ["Sign in", "Sign in with Google"]
    with patch("streamlit.login") as login:
        at.button[1].click().run()
    login.assert_called_once_with("google")


def test_sign_in_without_a_provider_keeps_the_app_closed(store):
    at = app({"auth": {"redirect_uri": AUTH["redirect_uri"], "cookie_secret": AUTH["cookie_secret"]}},
             {"is_logged_in": False})
    assert "names no provider" in at.error[0].value and not at.button and not home_shown(at)


def test_only_allowed_accounts_get_in(store):
    access = {"allowed": ["@example.com", "guest@elsewhere.org"]}
    assert not signed_in("ada@example.com", access).error
    assert not signed_in("Guest@Elsewhere.org", access).error
    refused = signed_in("mallory@evil.example", access)
    assert md("The account mallory@evil.example may not use this server") in refused.error[0].value
    assert [b.label for b in refused.button] == ["Sign out"] and not home_shown(refused)
    for unchecked in (False, None):  # an address the provider does not say it checked names no one
        unverified = signed_in("ada@example.com", access, email_verified=unchecked, sub="g-123")
        assert md("The account g-123 may not use") in unverified.error[0].value


def test_the_sidebar_says_who_is_signed_in(store):
    at = signed_in("root@example.com", {"allowed": ["@example.com"], "admins": ["Root@Example.com"]})
    assert md("Signed in as root@example.com") + " (administrator)" in at.sidebar.caption[0].value
    assert at.sidebar.button(key="sign_out")


def test_each_person_sees_their_own_and_what_is_shared(store):
    df = make_texts(n_per_class=20)
    adas = train_inline(store.as_viewer(Viewer("ada@example.com")), df, "ada's topics")
    bob = signed_in("bob@example.com")
    bob.switch_page(PAGES["data"]).run()
    assert "ada's topics" not in shown(bob) and not bob.exception
    bob.switch_page(PAGES["results"]).run()
    assert "No model has finished training yet." in [i.value for i in bob.info]

    ada = signed_in("ada@example.com")
    ada.switch_page(PAGES["data"]).run()
    ada.toggle(key=f"datasets.share.{adas.dataset_id}").set_value(True).run()
    ada.switch_page(PAGES["results"]).run()
    ada.toggle(key=f"results.share.{adas.id}").set_value(True).run()
    assert store.get_run(adas.id).shared and store.get_dataset(adas.dataset_id).shared

    bob.switch_page(PAGES["data"]).run()
    assert "ada's topics" in shown(bob) and "Shared by " + md("ada@example.com") in shown(bob)
    assert "Delete" not in shown(bob) and "Rename" not in shown(bob)
    bob.switch_page(PAGES["results"]).run()
    assert not bob.exception and "Shared by " + md("ada@example.com") in [c.value for c in bob.caption]
    assert not bob.toggle  # only the owner shares or stops sharing


def test_someone_else_cannot_stop_a_shared_run(store, dataset, stand_in_worker):
    ada = store.as_viewer(Viewer("ada@example.com"))
    run = ada.create_run(dataset.id, "tfidf", {})
    ada.share_run(run, True)
    worker = stand_in_worker()
    store.transition(run, "running", pid=worker.pid, process_started=process_started(worker.pid))
    for email, may_stop in (("bob@example.com", False), ("ada@example.com", True)):
        at = signed_in(email)
        at.query_params["run"] = str(run)
        at.switch_page(PAGES["train"]).run()
        assert not at.exception
        assert bool([b for b in at.button if b.key == f"stop.{run}"]) is may_stop


def test_the_technical_details_of_a_failed_run_are_for_administrators(store, dataset):
    run = store.create_run(dataset.id, "tfidf", {})
    store.share_run(run, True)
    trace = 'Traceback (most recent call last):\n  File "/srv/studio/core/runs/worker.py", line 1\nRuntimeError: boom'
    assert store.transition(run, "failed", error="RuntimeError: boom", traceback=trace)
    for email, sees in (("bob@example.com", False), ("ada@example.com", True)):
        at = signed_in(email, {"allowed": ["*"], "admins": ["ada@example.com"]})
        at.query_params["run"] = str(run)
        at.switch_page(PAGES["train"]).run()
        at.session_state[f"details.{run}"] = True
        at.run()
        assert not at.exception
        assert (trace in [c.value for c in at.code]) is sees
        assert ("/srv/studio" in shown(at)) is sees


def test_sign_in_that_does_not_say_who_may_come_in_keeps_the_app_closed(store):
    at = app({"auth": AUTH}, {"is_logged_in": True, "email": "ada@example.com", "email_verified": True})
    assert "allowed does not say who may use the app" in at.error[0].value and not home_shown(at)


@pytest.fixture
def option():
    """`option(name, value)`: a Streamlit setting for this test, as .streamlit/config.toml or a flag would give it."""
    previous = {}

    def set_option(name: str, value) -> None:
        previous.setdefault(name, config.get_option(name))
        config.set_option(name, value)

    yield set_option
    for name, value in previous.items():
        config.set_option(name, value)


def test_a_secrets_file_that_does_not_parse_keeps_the_app_closed(store, option, tmp_path):
    broken = tmp_path / "secrets.toml"
    broken.write_text('[access]\nallowed = [@example.com]\n')
    option("secrets.files", [str(broken)])
    at = app({})
    assert "cannot be read" in at.error[0].value and not home_shown(at)


def test_on_the_network_without_sign_in_the_app_stays_closed_unless_a_proxy_guards_it(store, option):
    option("server.address", "0.0.0.0")
    at = app({})
    assert "listens on the network but asks no one to sign in" in at.error[0].value and not home_shown(at)
    assert home_shown(app({"access": {"open": True}}))
    option("server.address", "127.0.0.1")
    assert home_shown(app({}))


def test_links_to_someone_elses_private_run_model_or_upload_open_nothing_of_theirs(store, tmp_path):
    ada = store.as_viewer(Viewer("ada@example.com"))
    run = train_inline(ada, make_texts(n_per_class=20), "ada's topics")
    sha = keep_upload(b"text,label\nsecret,a\n", "ada.csv", store.root, owner="ada@example.com")
    imported = import_model(run_zip(ada, run.id, "bundle").read_bytes(), "ada.zip", store.root, "ada@example.com")
    for page, param, value in (("results", "run", run.id), ("predict", "imported", imported.id),
                               ("data", "upload", sha)):
        at = signed_in("bob@example.com")
        at.query_params[param] = str(value)
        at.switch_page(PAGES[page]).run()
        assert not at.exception
        assert "ada" not in shown(at) and "secret" not in shown(at), page
    owner = signed_in("ada@example.com")
    owner.query_params["upload"] = sha
    owner.switch_page(PAGES["data"]).run()
    assert "ada\\.csv" in shown(owner)

