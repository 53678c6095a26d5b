"""Base URLs, path segments and run ids.

The hosted API lives at ``https://www.sim.ai``; the apex host answers ``/api/**`` with a 301
(CONTRACT §1), so that is not the default. A trailing ``/`` is dropped. Plain ``http://`` is
accepted only for loopback hosts unless the caller opts in, because the key would travel in clear
text. Run ids are ours to choose (``^[A-Za-z0-9._:-]{1,128}$``); each attempt gets a fresh one.
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote, urlsplit

from simdesk.api.errors import ConfigurationError, ValidationError
from simdesk.core.base_url import BaseUrlError
from simdesk.core.base_url import normalize_base_url as clean_base_url
from simdesk.core.hosts import is_loopback  # one definition, shared with the profile editor

RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def normalize_base_url(url: str, *, allow_insecure_http: bool = False) -> str:
    """A clean base URL (see :mod:`simdesk.core.base_url`); plain http only to this machine unless
    ``allow_insecure_http``."""
    try:
        clean = clean_base_url(url)
    except BaseUrlError as exc:
        raise ConfigurationError(str(exc)) from exc
    host = urlsplit(clean).hostname or ""
    if clean.startswith("http://") and not allow_insecure_http and not is_loopback(host):
        raise ConfigurationError(
            f"{host} is reached over plain http, so the API key would travel "
            "unencrypted; use https, or allow insecure http explicitly"
        )
    return clean


def segment(value: str) -> str:
    """``value`` quoted for use as one path segment.

    A ``:`` (in legacy job ids ``workflow-execution:<executionId>``, and allowed in run ids) is
    sent as ``%3A``: Sim's router decodes it back, and a proxy cannot mistake the segment for
    anything else."""
    return quote(value, safe="-._~")


def new_run_id() -> str:
    """A fresh run id for one execute attempt."""
    return f"desk-{os.urandom(16).hex()}"  # 128 random bits, like a uuid4, for a tenth of the cost


def check_run_id(run_id: str) -> str:
    """``run_id`` if Sim accepts it, else :class:`ValidationError`."""
    if not RUN_ID_PATTERN.fullmatch(run_id):
        raise ValidationError(f"{run_id!r} cannot be a run id: use 1–128 letters, digits and . _ : -")
    return run_id


def attempt_run_id(chosen: str | None, attempt: int) -> str:
    """The id for attempt ``attempt`` (from 0): the caller's on the first, derived ones after.

    Sim's run ids are one-shot claims (reuse is a 409), so a retry can never reuse the id of an
    attempt that may have reached the server.
    """
    if chosen is None:
        return new_run_id()
    if attempt == 0:
        return chosen
    suffix = f".r{attempt}"
    return chosen[: 128 - len(suffix)] + suffix
