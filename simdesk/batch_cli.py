"""``simdesk batch``: one workflow over a table of inputs, from a terminal.

The same engine as the Batches panel (:class:`~simdesk.services.batch_runner.BatchRunner`), the
same profiles, keyring and request budget as the app, the same store in the data directory, so a
batch started here survives Ctrl+C or a crash and continues with ``--resume ID``. Exit status: 0
when every row ran, 1 when any row failed or was invalid, 2 when the batch could not start.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from simdesk.core.batch_input import Fingerprint, TableError, TableFormat, columns_of, read_rows
from simdesk.core.batch_mapping import ColumnMap, auto_map, missing_columns, row_input, unused_columns
from simdesk.core.batch_store import DEFAULT_FILE_NAME, Batch, BatchStore, Counts, RowState, RunMode
from simdesk.core.paths import AppPaths
from simdesk.core.profiles import Profile, ProfileStore, profile_from_env

if TYPE_CHECKING:
    from simdesk.api import SimClient
    from simdesk.core.catalogue import WorkflowInput
    from simdesk.services.batch_runner import BatchProgress


class BatchCliError(Exception):
    """The batch cannot start; the message says why and what to do."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="simdesk batch",
        description="Run one workflow once per row of a table (CSV, TSV, JSON Lines or a JSON array).",
    )
    parser.add_argument("workflow", nargs="?", help="the workflow's id")
    parser.add_argument("file", nargs="?", type=Path, help="the table of inputs")
    parser.add_argument(
        "--profile", metavar="NAME", help="the simdesk profile to use (default: SIM_API_KEY, else the only one)"
    )
    parser.add_argument(
        "--mode", choices=[m.value for m in RunMode], default=RunMode.SYNC.value, help="how each row runs"
    )
    parser.add_argument("--concurrency", type=int, default=8, metavar="N", help="rows in flight at once (1-64)")
    parser.add_argument(
        "--output", action="append", default=[], metavar="BLOCK.PATH", help="stream mode: an output to capture"
    )
    parser.add_argument(
        "--map", action="append", default=[], metavar="INPUT=COLUMN", help="fill INPUT from COLUMN (default: by name)"
    )
    parser.add_argument(
        "--format", choices=[f.value for f in TableFormat], help="the table's format (default: by name)"
    )
    parser.add_argument("--out", type=Path, metavar="FILE", help="write results here (.csv, .jsonl or .xlsx)")
    parser.add_argument("--resume", metavar="ID", help="continue a batch that was stopped")
    parser.add_argument("--data-dir", metavar="DIR", help="simdesk's data directory (as the app's --data-dir)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str], *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``simdesk batch``; returns the exit status."""
    stdout, stderr = out or sys.stdout, err or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        return asyncio.run(_run(args, stdout, stderr))
    except BatchCliError as exc:
        print(f"simdesk batch: {exc}", file=stderr)
        return 2
    except KeyboardInterrupt:
        print("\nsimdesk batch: stopped; rows in flight may still finish on Sim.", file=stderr)
        return 130


def choose_profile(paths: AppPaths, name: str | None) -> tuple[Profile, str]:
    """The profile and its key, as the app would use them."""
    env = profile_from_env(os.environ)
    if name is None and env is not None:
        return env
    store = ProfileStore(paths.profiles_file)
    if name is None:
        names = store.names()
        if len(names) != 1:
            listed = ", ".join(names) or "none yet (add one in the app: File → Profiles…)"
            raise BatchCliError(f"choose a profile with --profile NAME, or set SIM_API_KEY; profiles: {listed}")
        name = names[0]
    profile = store.get(name)
    if profile is None:
        raise BatchCliError(f"there is no profile named {name!r} (see File → Profiles… in the app)")
    from simdesk.core.secrets import Secrets, SecretStoreUnavailable

    try:
        key = Secrets().get(profile.name)
    except SecretStoreUnavailable as exc:
        raise BatchCliError(f"the keyring cannot be read ({exc}); set SIM_API_KEY for this run instead") from exc
    if not key:
        raise BatchCliError(f"profile {name!r} has no API key in the keyring; add it in the app or set SIM_API_KEY")
    return profile, key


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """``INPUT=COLUMN`` pairs as a dict."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field.strip():
            raise BatchCliError(f"--map takes INPUT=COLUMN, not {pair!r}")
        mapping[field.strip()] = column.strip()
    return mapping


async def _inputs(client: SimClient, workflow_id: str) -> tuple[str, tuple[WorkflowInput, ...]]:
    from simdesk.api.errors import FeatureUnavailableError, SimError
    from simdesk.api.messages import user_message

    try:
        detail = await client.get_workflow(workflow_id)
    except FeatureUnavailableError:
        return workflow_id, ()  # no v2 catalogue: every column is sent as an input of its name
    except SimError as exc:
        raise BatchCliError(user_message(exc)) from exc
    return detail.summary.name, tuple(detail.inputs)


def create_batch(
    store: BatchStore,
    *,
    profile: str,
    workflow_id: str,
    workflow_name: str,
    inputs: tuple[WorkflowInput, ...],
    table: Path,
    table_format: TableFormat | None,
    mode: RunMode,
    concurrency: int,
    overrides: dict[str, str],
    selected_outputs: list[str],
) -> tuple[Batch, ColumnMap, list[str]]:
    """Read the table into a new stored batch (valid rows waiting, invalid ones flagged).

    Returns the batch, its mapping and warnings for the person (unused columns and the like)."""
    before = Fingerprint.of(table)
    columns = columns_of(table, table_format)
    if not columns:
        raise BatchCliError(f"{table.name} has no rows")
    mapping: ColumnMap = {**auto_map(columns, inputs), **overrides}
    unknown = missing_columns(columns, mapping)
    if unknown:
        raise BatchCliError(f"{table.name} has no column {', '.join(map(repr, unknown))}")
    warnings = [f"column {c!r} fills no input and is not sent" for c in unused_columns(columns, mapping)]
    warnings += [f"input {name!r} has no column and is left empty" for name, col in mapping.items() if not col]
    batch = store.create(
        profile=profile, workflow_id=workflow_id, workflow_name=workflow_name, mode=mode, source=str(table),
        mapping=mapping, concurrency=concurrency, selected_outputs=selected_outputs, source_size=before.size,
        source_mtime_ns=before.mtime_ns,
    )  # fmt: skip
    store.add_rows(batch.id, (row_input(inputs, mapping, row) for row in read_rows(table, table_format)))
    if Fingerprint.of(table) != before:
        store.delete(batch.id)
        raise BatchCliError(f"{table.name} changed while it was being read; run again once it is complete")
    return batch, mapping, warnings


async def _run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    paths = AppPaths.resolve(args.data_dir).ensure()
    store = BatchStore(paths.data / DEFAULT_FILE_NAME)
    try:
        stored = _stored_batch(store, args.resume) if args.resume else None
        if stored is None:
            _check_new_batch_args(args)
        # a resumed batch keeps its profile unless SIM_API_KEY or --profile says otherwise
        wanted = args.profile or (stored.profile if stored and not os.environ.get("SIM_API_KEY") else None)
        profile, key = choose_profile(paths, wanted)
        from simdesk.services.usage_budget import budgeted_factory

        async with budgeted_factory(profile, key) as client:
            batch = stored if stored is not None else await _new_batch(client, store, profile.name, args, stderr)
            print(f"simdesk batch: batch {batch.id} ({batch.workflow_name}, {batch.mode.value})", file=stderr)
            counts = await _run_with_progress(client, store, batch, quiet=args.quiet, stderr=stderr)
        return _finish(store, batch, counts, args.out, stdout, stderr)
    finally:
        store.close()


def _stored_batch(store: BatchStore, batch_id: str) -> Batch:
    batch = store.get(batch_id)
    if batch is None:
        raise BatchCliError(f"there is no batch {batch_id!r} in {Path(store.path).parent}")
    return batch


def _check_new_batch_args(args: argparse.Namespace) -> None:
    if not args.workflow or not args.file:
        raise BatchCliError("give a WORKFLOW id and a FILE, or --resume ID")
    if not 1 <= args.concurrency <= 64:
        raise BatchCliError("--concurrency must be between 1 and 64")


async def _new_batch(
    client: SimClient, store: BatchStore, profile: str, args: argparse.Namespace, stderr: TextIO
) -> Batch:
    name, inputs = await _inputs(client, args.workflow)
    try:
        batch, _, warnings = create_batch(
            store, profile=profile, workflow_id=args.workflow, workflow_name=name, inputs=inputs, table=args.file,
            table_format=TableFormat(args.format) if args.format else None, mode=RunMode(args.mode),
            concurrency=args.concurrency, overrides=parse_mapping(args.map), selected_outputs=args.output,
        )  # fmt: skip
    except TableError as exc:
        raise BatchCliError(str(exc)) from exc
    for warning in warnings:
        print(f"simdesk batch: note: {warning}", file=stderr)
    return batch


async def _run_with_progress(
    client: SimClient, store: BatchStore, batch: Batch, *, quiet: bool, stderr: TextIO
) -> Counts:
    from tqdm import tqdm

    from simdesk.services.batch_runner import BatchRunner

    initial = store.counts(batch.id)
    bar = tqdm(total=initial.total, initial=initial.settled, unit="row", file=stderr, disable=quiet, dynamic_ncols=True)

    def show(progress: BatchProgress) -> None:
        bar.n = progress.counts.settled
        bar.set_postfix_str(
            f"done {progress.done} · failed {progress.failed} · running {progress.running} · "
            f"cost {progress.counts.cost:.4g}",
            refresh=False,
        )
        bar.refresh()

    runner = BatchRunner(client, store, batch, on_progress=show)
    try:
        return await runner.run()
    except asyncio.CancelledError:
        runner.pause()
        raise
    finally:
        bar.close()


def _finish(store: BatchStore, batch: Batch, counts: Counts, out: Path | None, stdout: TextIO, stderr: TextIO) -> int:
    failed = counts[RowState.FAILED] + counts[RowState.INVALID] + counts[RowState.CANCELLED]
    left = counts[RowState.WAITING] + counts[RowState.SENDING]
    print(
        f"{counts[RowState.DONE]} done, {counts[RowState.FAILED]} failed, {counts[RowState.INVALID]} invalid, "
        f"{left} not run · cost {counts.cost:.4g}",
        file=stdout,
    )
    if out is not None:
        from simdesk.core.batch_export import export_results

        written = export_results(store, batch.id, out)
        print(f"simdesk batch: {written} rows written to {out}", file=stderr)
    if left:
        print(f"simdesk batch: continue with: simdesk batch --resume {batch.id}", file=stderr)
    return 1 if failed or left else 0
