"""The batch service: stored batches and their runners behind Qt signals, for the Batches panel.

It owns the :class:`~simdesk.core.batch_store.BatchStore` and starts one
:class:`~simdesk.services.batch_runner.BatchRunner` per running batch on the app's loop, with the
profile's client from the client pool, so a batch shares the profile's request budget with
everything else the app sends (and goes behind it: batch rows run at ``Priority.BATCH``).

Progress is coalesced: the runner reports every row, the service keeps the latest figures and
emits them at most every :data:`TICK_MS`, so a fast batch costs a few repaints a second.

Batches a previous session left ``running`` are shown ``paused`` at start-up; "Resume" starts a
runner that first settles the rows left in ``sending`` by looking their run ids up on Sim, so no
row is run twice. Widgets call methods and connect to signals; they never await and never see
an exception (failures arrive as ``failed(str)``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from simdesk.api.errors import FeatureUnavailableError, SimError
from simdesk.api.messages import user_message
from simdesk.core.batch_export import export_results
from simdesk.core.batch_input import TableError
from simdesk.core.batch_store import Batch, BatchState, BatchStore, Counts, RowState, RunMode
from simdesk.core.catalogue import WorkflowInput
from simdesk.core.rates import ASYNC_EXECUTIONS, SYNC_EXECUTIONS
from simdesk.services.batch_ingest import TableSource, ingest
from simdesk.services.batch_runner import MAX_CONCURRENCY, BatchProgress, BatchRunner
from simdesk.services.executors import run_blocking
from simdesk.services.tasks import TaskSet

if TYPE_CHECKING:
    from simdesk.api.client import SimClient

log = logging.getLogger("simdesk.services.batches")

TICK_MS = 250  # progress reaches the panel at most this often
ClientFor = Callable[[str], Awaitable["SimClient"]]


@dataclass(frozen=True, slots=True)
class NewBatch:
    """Everything the new-batch form decided."""

    profile: str
    workflow_id: str
    workflow_name: str
    inputs: tuple[WorkflowInput, ...]
    source: TableSource
    mapping: dict[str, str | None]
    mode: RunMode = RunMode.SYNC
    concurrency: int = 4
    selected_outputs: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class WorkflowShape:
    """A workflow's name and declared inputs (``legacy``: none declared, columns go as they are)."""

    workflow_id: str
    name: str
    inputs: tuple[WorkflowInput, ...]
    legacy: bool = False


@dataclass(frozen=True, slots=True)
class ConcurrencyCap:
    """How many rows may be in flight at once, and why (for the spin box's tooltip)."""

    limit: int
    reason: str


def idle_progress(batch_id: str, state: BatchState, counts: Counts) -> BatchProgress:
    """Progress of a batch no runner is working on (from the stored counts)."""
    return BatchProgress(batch_id, state, counts, 0, 0.0, 0.0, None)


class BatchService(QObject):
    """Every stored batch and the runners of those that run.

    Signals:
        batches_changed(): a batch was added, removed, or changed state.
        progress_changed(BatchProgress): a batch's latest progress (coalesced).
        rows_changed(str batch_id): some of the batch's rows changed (coalesced with progress).
        ingest_progress(str batch_id, int rows): rows read in so far while a table is read.
        batch_ended(BatchProgress): a runner stopped: finished, cancelled, or paused by a problem.
        failed(str): something the person asked for did not work; the text says why.
    """

    batches_changed = Signal()
    progress_changed = Signal(object)
    rows_changed = Signal(str)
    ingest_progress = Signal(str, int)
    batch_ended = Signal(object)
    failed = Signal(str)

    def __init__(self, store: BatchStore, client_for: ClientFor, *, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._client_for = client_for
        self._runners: dict[str, BatchRunner] = {}
        self._run_tasks: dict[str, asyncio.Future[None]] = {}
        self._ingesting: set[str] = set()
        self._latest: dict[str, BatchProgress] = {}
        self._dirty: set[str] = set()
        self._tasks = TaskSet()
        self._tick = QTimer(self)
        self._tick.setSingleShot(True)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self._flush)
        self._restore()

    def _restore(self) -> None:
        """A batch left running by a previous session waits, paused, for the person to resume it."""
        for batch in self.store.batches():
            if batch.state is BatchState.RUNNING:
                self.store.set_state(batch.id, BatchState.PAUSED)

    # --- what the panel reads -------------------------------------------------------------------

    def batches(self) -> list[Batch]:
        """Every batch, newest first."""
        return self.store.batches()

    def get(self, batch_id: str) -> Batch | None:
        """One batch, or ``None``."""
        return self.store.get(batch_id)

    def is_running(self, batch_id: str) -> bool:
        """True while a runner works on the batch (it may be paused)."""
        return batch_id in self._runners

    def is_ingesting(self, batch_id: str) -> bool:
        """True while the batch's table is being read in."""
        return batch_id in self._ingesting

    def progress(self, batch_id: str) -> BatchProgress | None:
        """The batch's progress now (live when it runs, else from the store)."""
        runner = self._runners.get(batch_id)
        if runner is not None:
            return runner.progress()
        batch = self.store.get(batch_id)
        if batch is None:
            return None
        return idle_progress(batch_id, batch.state, self.store.counts(batch_id))

    @property
    def active(self) -> list[BatchProgress]:
        """Progress of every batch a runner works on."""
        return [runner.progress() for runner in self._runners.values()]

    # --- new batches ----------------------------------------------------------------------------

    def workflow_shape(self, profile: str, workflow_id: str) -> asyncio.Future[WorkflowShape | None]:
        """The workflow's declared inputs (``None``, with ``failed``, when they cannot be had)."""
        return self._spawn(self._shape(profile, workflow_id))

    async def _shape(self, profile: str, workflow_id: str) -> WorkflowShape | None:
        try:
            client = await self._client_for(profile)
            try:
                detail = await client.get_workflow(workflow_id)
            except FeatureUnavailableError:
                return WorkflowShape(workflow_id, workflow_id, (), legacy=True)
        except Exception as exc:
            self.failed.emit(_say(exc))
            return None
        return WorkflowShape(workflow_id, detail.summary.name, tuple(detail.inputs))

    def concurrency_cap(self, profile: str, mode: RunMode) -> asyncio.Future[ConcurrencyCap]:
        """How many rows the plan lets run at once in ``mode``."""
        return self._spawn(self._cap(profile, mode))

    async def _cap(self, profile: str, mode: RunMode) -> ConcurrencyCap:
        bucket = ASYNC_EXECUTIONS if mode is RunMode.ASYNC else SYNC_EXECUTIONS
        words = "background (async)" if mode is RunMode.ASYNC else "sync"
        capacity: int | None = None
        try:
            client = await self._client_for(profile)
            budget = client.budget
            if budget is not None and budget.snapshot().buckets.get(bucket) is None:
                await client.get_usage_limits()  # the execution buckets are only reported there
            estimate = budget.snapshot().buckets.get(bucket) if budget is not None else None
            capacity = estimate.capacity if estimate is not None else None
        except Exception as exc:  # no figures: the engine's own cap, and say so
            log.info("no execution limits for %s: %s", profile, exc)
        if capacity is None:
            return ConcurrencyCap(MAX_CONCURRENCY, f"Your plan's limits are not known yet; at most {MAX_CONCURRENCY}.")
        limit = max(1, min(capacity, MAX_CONCURRENCY))
        reason = f"Your plan's {words} bucket holds {capacity} runs at once"
        if capacity > MAX_CONCURRENCY:
            reason += f"; simdesk keeps at most {MAX_CONCURRENCY} rows in flight"
        return ConcurrencyCap(limit, reason + ". More in flight would only wait for the bucket to refill.")

    def create(self, new: NewBatch, *, start: bool = True) -> asyncio.Future[Batch | None]:
        """Read the table into a new batch off the GUI thread, then (with ``start``) run it."""
        return self._spawn(self._create(new, start))

    async def _create(self, new: NewBatch, start: bool) -> Batch | None:
        try:
            fingerprint = await run_blocking(new.source.fingerprint)
        except TableError as exc:
            self.failed.emit(str(exc))
            return None
        batch = self.store.create(
            profile=new.profile, workflow_id=new.workflow_id, workflow_name=new.workflow_name, mode=new.mode,
            source=new.source.label, mapping=new.mapping, concurrency=new.concurrency,
            selected_outputs=new.selected_outputs, source_size=fingerprint.size if fingerprint else 0,
            source_mtime_ns=fingerprint.mtime_ns if fingerprint else 0,
        )  # fmt: skip
        self._ingesting.add(batch.id)
        self.batches_changed.emit()
        try:
            rows = await ingest(
                self.store, batch, new.source, new.inputs, new.mapping,
                on_rows=lambda n: self.ingest_progress.emit(batch.id, n),
            )  # fmt: skip
        except TableError as exc:
            self.failed.emit(str(exc))
            return None
        finally:
            self._ingesting.discard(batch.id)
            self.batches_changed.emit()
        if rows == 0:
            self.store.delete(batch.id)
            self.batches_changed.emit()
            self.failed.emit(f"{new.source.label} has no rows: nothing to run.")
            return None
        if start:
            self.start(batch.id)
        return batch

    # --- running --------------------------------------------------------------------------------

    def start(self, batch_id: str) -> None:
        """Run the batch (resume it, if a runner already works on it)."""
        runner = self._runners.get(batch_id)
        if runner is not None:
            runner.resume()
            return
        batch = self.store.get(batch_id)
        if batch is None or batch_id in self._ingesting or batch_id in self._run_tasks:
            return
        task = self._spawn(self._run(batch))
        self._run_tasks[batch_id] = task
        task.add_done_callback(lambda _t: self._run_tasks.pop(batch_id, None))

    resume = start

    def pause(self, batch_id: str) -> None:
        """Start no new rows (rows in flight finish)."""
        runner = self._runners.get(batch_id)
        if runner is not None:
            runner.pause()

    def cancel(self, batch_id: str) -> asyncio.Future[None]:
        """Cancel the rows running (on Sim too) and every row not yet sent."""
        return self._spawn(self._cancel(batch_id))

    async def _cancel(self, batch_id: str) -> None:
        runner = self._runners.get(batch_id)
        if runner is not None:
            await runner.cancel()
            return
        self.store.cancel_waiting(batch_id, time.time())
        self.store.set_state(batch_id, BatchState.CANCELLED)
        self._note(self.progress(batch_id))
        self.batches_changed.emit()

    def retry_failed(self, batch_id: str) -> int:
        """Put failed and cancelled rows back in the queue and run them; returns how many."""
        count = self.store.requeue(batch_id, states=(RowState.FAILED, RowState.CANCELLED))
        if count:
            runner = self._runners.get(batch_id)
            if runner is not None and not runner.cancelled:
                runner.recount()
                runner.resume()
            else:
                self._spawn(self._after(batch_id))
        return count

    async def _after(self, batch_id: str) -> None:
        """Start a new runner once the one stopping (a cancelled batch's) has stopped."""
        running = self._run_tasks.get(batch_id)
        if running is not None:
            await asyncio.wait([running])
        self.start(batch_id)

    async def _run(self, batch: Batch) -> None:
        try:
            client = await self._client_for(batch.profile)
        except Exception as exc:
            self.failed.emit(f"Batch “{batch.workflow_name}” cannot start: {_say(exc)}")
            return
        runner = BatchRunner(
            client, self.store, batch, on_progress=self._note, on_row=lambda row: self._dirty.add(row.batch_id)
        )
        self._runners[batch.id] = runner
        self.batches_changed.emit()
        try:
            await runner.run()
        except Exception as exc:  # a store that cannot be written, say: the batch pauses, nothing is lost
            log.exception("batch %s stopped", batch.id)
            self.store.set_state(batch.id, BatchState.PAUSED)
            self.failed.emit(f"Batch “{batch.workflow_name}” stopped: {_say(exc)}")
        finally:
            self._runners.pop(batch.id, None)
        stored = self.store.get(batch.id)
        if stored is not None:  # the runner's figures (pace, reason), with the state as stored
            final = dataclasses.replace(runner.progress(), state=stored.state)
            self._latest[batch.id] = final
            self._dirty.add(batch.id)
            self._flush()
            self.batch_ended.emit(final)
        self.batches_changed.emit()

    # --- results --------------------------------------------------------------------------------

    def export(self, batch_id: str, path: Path) -> asyncio.Future[int | None]:
        """Write the batch's results to ``path`` on a worker thread; how many rows (``None``: failed)."""
        return self._spawn(self._export(batch_id, path))

    async def _export(self, batch_id: str, path: Path) -> int | None:
        reader = self.store.reader()

        def write() -> int:
            try:
                return export_results(reader, batch_id, path)
            finally:
                if reader is not self.store:
                    reader.close()

        try:
            return await run_blocking(write)
        except (OSError, ValueError) as exc:
            self.failed.emit(f"The results could not be saved to {path.name}: {exc}")
            return None

    def delete(self, batch_id: str) -> None:
        """Forget a batch that no runner works on."""
        if batch_id in self._runners or batch_id in self._ingesting:
            self.failed.emit("Cancel or pause the batch and wait for it to stop before removing it.")
            return
        self.store.delete(batch_id)
        self._latest.pop(batch_id, None)
        self.batches_changed.emit()

    # --- progress -------------------------------------------------------------------------------

    def _note(self, progress: BatchProgress | None) -> None:
        if progress is None:
            return
        self._latest[progress.batch_id] = progress
        self._dirty.add(progress.batch_id)
        if not self._tick.isActive():
            self._tick.start()

    def _flush(self) -> None:
        dirty, self._dirty = self._dirty, set()
        for batch_id in sorted(dirty):
            latest = self._latest.get(batch_id)
            if latest is not None:
                self.progress_changed.emit(latest)
            self.rows_changed.emit(batch_id)

    # --- tasks ----------------------------------------------------------------------------------

    def _spawn[T](self, coro: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
        task = self._tasks.spawn(coro)
        task.add_done_callback(self._report)
        return task

    def _report(self, task: asyncio.Future[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("batch task failed", exc_info=exc)
            self.failed.emit(_say(exc))

    async def aclose(self) -> None:
        """Stop every runner where it is (rows in flight are settled at the next start), close the store."""
        self._tick.stop()
        await self._tasks.cancel_all()
        for batch_id in list(self._runners):
            self.store.set_state(batch_id, BatchState.PAUSED)
        self._runners.clear()
        self.store.close()


def _say(exc: BaseException | None) -> str:
    if isinstance(exc, SimError):
        return user_message(exc)
    return str(exc) or type(exc).__name__


__all__: Sequence[str] = ("BatchService", "ConcurrencyCap", "NewBatch", "WorkflowShape", "idle_progress")
