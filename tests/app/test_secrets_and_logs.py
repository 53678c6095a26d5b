"""Keys never reach a file: redaction, masking, and a full run with a key set."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from simdesk.app import AppContext
from simdesk.core.logsetup import RedactionFilter
from simdesk.core.paths import AppPaths
from simdesk.core.profiles import Profile
from simdesk.core.secrets import (
    REDACTED,
    Secrets,
    SecretStoreUnavailable,
    SessionSecrets,
    mask,
    redact,
    validate_key,
)
from tests.support.app import files_containing, shut_down

MakeApp = Callable[..., AppContext]


@pytest.mark.parametrize(
    "text",
    [
        "key sk-sim-AbCdEf0123456789_-xyzXYZ0123456789ab in the middle",
        "legacy sim_0123456789abcdefABCDEF0123 key",
        "header X-API-Key: sk-sim-demo",
    ],
)
def test_key_shaped_text_is_redacted(text: str) -> None:
    out = redact(text)
    assert REDACTED in out and "sk-sim-" not in out and "sim_0123" not in out


def test_module_names_and_known_keys() -> None:
    assert redact("simdesk.core.sim_cli_import failed") == "simdesk.core.sim_cli_import failed"
    assert redact("is_sim_key_valid_for_everyone_here") == "is_sim_key_valid_for_everyone_here"
    assert redact("token=hunter2-secret-value", known=["hunter2-secret-value"]) == f"token={REDACTED}"


def test_mask_never_shows_a_short_secret() -> None:
    assert mask("sk-sim-demo") == "sk-sim-…"
    assert mask("sk-sim-0123456789abcdefWXYZ") == "sk-sim-…WXYZ"
    assert mask("sim_0123456789abcdefghij") == "sim_…ghij"
    assert mask(None) == ""


def test_validate_key() -> None:
    assert validate_key("  sk-sim-x  ") == "sk-sim-x"
    with pytest.raises(ValueError, match="empty"):
        validate_key("   ")
    with pytest.raises(ValueError, match="line break"):
        validate_key("sk-sim-a\nb")


def test_secrets_facade_session_and_keyring(memory_keyring: Any) -> None:
    secrets = Secrets(session=SessionSecrets())
    secrets.set("P", "sk-sim-keyring-value")
    assert memory_keyring.store == {("simdesk", "P"): "sk-sim-keyring-value"}
    secrets.set_for_session("P", "sk-sim-session-value")
    assert secrets.get("P") == "sk-sim-session-value" and secrets.is_session_only("P")
    secrets.rename("P", "Q")
    assert secrets.get("Q") == "sk-sim-session-value" and secrets.get("P") == "sk-sim-keyring-value"
    secrets.delete("P")
    secrets.delete("P")  # deleting twice is fine
    assert memory_keyring.store == {}
    assert set(secrets.known_keys()) >= {"sk-sim-keyring-value", "sk-sim-session-value"}


def test_failing_keyring_raises_a_message_that_names_the_fix(failing_keyring: Any) -> None:
    secrets = Secrets()
    with pytest.raises(SecretStoreUnavailable, match="gnome-keyring") as info:
        secrets.set("P", "sk-sim-never-stored")
    assert "sk-sim-never-stored" not in str(info.value)
    with pytest.raises(SecretStoreUnavailable):
        secrets.get("P")
    secrets.set_for_session("P", "sk-sim-session-only")  # the fallback needs no keyring
    assert secrets.get("P") == "sk-sim-session-only"


def test_redaction_filter_covers_messages_arguments_and_tracebacks(tmp_path: Any) -> None:
    secret = "opaque-token-without-a-key-shape"
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Collect()
    handler.addFilter(RedactionFilter(lambda: [secret]))
    logger = logging.getLogger("simdesk.test.redaction")
    logger.addHandler(handler)
    try:
        logger.warning("arg %s and %r", secret, {"k": "sk-sim-AAAABBBBCCCC"})
        try:
            raise RuntimeError(f"boom {secret}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = "\n".join(records)
    assert secret not in text and "sk-sim-AAAA" not in text
    assert text.count(REDACTED) >= 3 and "RuntimeError: boom" in text


def test_after_a_run_with_a_key_no_file_under_the_data_dir_contains_it(
    make_app: MakeApp,
    app_paths: AppPaths,
    sandbox: Any,
    memory_keyring: Any,
    log_to_data_dir: RedactionFilter,
    qtbot: Any,
    arun: Any,
) -> None:
    key = sandbox.api_key
    ctx = make_app(app_paths, redaction=log_to_data_dir)
    ctx.start(environ={})
    with qtbot.waitSignal(ctx.profiles.saved, timeout=5_000):
        ctx.profiles.save(Profile.create("Keyed", sandbox.base_url), key, None)
    with qtbot.waitSignal(ctx.connection.status_changed, timeout=10_000) as status:
        ctx.profiles.set_active("Keyed")
    assert status.args[1].ok
    # A careless log line with the key must still not reach the file.
    logging.getLogger("simdesk.test").error("the key was %s", key)
    ctx.window.set_theme("dark")
    shut_down(ctx, arun)
    for handler in logging.getLogger().handlers:
        handler.flush()

    root = app_paths.data.parent
    written = [p for p in root.rglob("*") if p.is_file()]
    assert app_paths.log_file in written and app_paths.profiles_file in written
    assert app_paths.settings_file in written and app_paths.state_file in written
    assert files_containing(root, key) == []
    assert REDACTED in app_paths.log_file.read_text()
    assert memory_keyring.store == {("simdesk", "Keyed"): key}
