"""Work on every core: ELF files read in worker processes (pyelftools is pure Python
and holds the GIL), and patchelf runs side by side within a memory budget (each run
holds its whole file in memory, some near 1 GB)."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from ..errors import UserError
from .elf import ElfFacts, read_elf

# Below this many files a pool costs more than it saves.
MIN_FILES_FOR_PROCESSES = 48
DEFAULT_MEMORY_BUDGET = 1 << 30


def jobs(requested: int | None = None) -> int:
    if requested is not None:
        if requested < 1:
            raise UserError(f"--jobs {requested}: give 1 or more")
        return requested
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def read_elves(
    files: Sequence[tuple[Path, str]], workers: int | None = None
) -> list[ElfFacts | UserError]:
    """The facts of each (path, label), or the UserError that says why not, in order."""
    count = jobs(workers)
    if count <= 1 or len(files) < MIN_FILES_FOR_PROCESSES:
        return [_read(str(path), label) for path, label in files]
    # fork is cheapest and safe while this process runs no other thread.
    method = "fork" if threading.active_count() == 1 else "forkserver"
    chunk = max(1, len(files) // (count * 4))
    with ProcessPoolExecutor(count, mp_context=multiprocessing.get_context(method)) as pool:
        return list(
            pool.map(_read, [str(p) for p, _ in files], [lb for _, lb in files], chunksize=chunk)
        )


def _read(path: str, label: str) -> ElfFacts | UserError:
    try:
        with open(path, "rb") as handle:
            return read_elf(handle, label)
    except UserError as exc:
        return exc
    except OSError as exc:
        return UserError(f"{label}: cannot read ({exc.strerror or exc})")


class ByteBudget:
    """Bytes that work running at once may hold; work costlier than the whole budget
    waits until it can run alone."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.in_use = 0
        self.condition = threading.Condition()

    @contextmanager
    def hold(self, cost: int, stop: Callable[[], bool] = lambda: False) -> Iterator[bool]:
        """Wait for ``cost`` bytes; yields False, holding nothing, once ``stop()``."""
        share = min(cost, self.budget)
        with self.condition:
            self.condition.wait_for(
                lambda: stop() or self.in_use + share <= self.budget or self.in_use == 0
            )
            if stop():
                yield False
                return
            self.in_use += share
        try:
            yield True
        finally:
            with self.condition:
                self.in_use -= share
                self.condition.notify_all()

    def wake(self) -> None:
        with self.condition:
            self.condition.notify_all()


def run_within_budget(
    tasks: Sequence[tuple[int, Callable[[], None]]],
    workers: int | None = None,
    budget: int = DEFAULT_MEMORY_BUDGET,
) -> None:
    """Run each (cost in bytes, action) with at most ``workers`` at once and the costs of
    those running within ``budget``. The first failure is raised once the running tasks
    are done; no new task starts."""
    count = jobs(workers)
    if count <= 1 or len(tasks) <= 1:
        for _, action in tasks:
            action()
        return
    memory = ByteBudget(budget)
    failed: list[BaseException] = []

    def run(cost: int, action: Callable[[], None]) -> None:
        with memory.hold(cost, stop=lambda: bool(failed)) as running:
            if not running:
                return
            try:
                action()
            except BaseException as exc:
                failed.append(exc)
                memory.wake()

    # Largest first: the long ones do not start last.
    ordered = sorted(tasks, key=lambda t: -t[0])
    with ThreadPoolExecutor(max_workers=count) as pool:
        futures: list[Future[None]] = [pool.submit(run, cost, action) for cost, action in ordered]
        for future in futures:
            future.result()
    if failed:
        raise failed[0]
