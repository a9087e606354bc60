"""Where the power grid's tasks run: serially, in local processes, or on a dask cluster."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

import numpy as np

from kaizen_eval._progress import progress as progress_bar
from kaizen_eval._validation import KaizenError

T = TypeVar("T")


def run_tasks(
    task: Callable[[Any, Any], T],
    points: list[Any],
    seeds: list[np.random.SeedSequence],
    backend: str,
    client: Any,
    max_workers: int | None,
    progress: bool,
) -> list[T]:
    """Run ``task(point, seed)`` for every point on the backend; results in the order of ``points``.

    ``backend`` is ``"serial"``, ``"processes"`` (a
    :class:`~concurrent.futures.ProcessPoolExecutor`; ``task`` must be picklable) or ``"dask"``
    (``client``, see :func:`dask_client`). A failed task cancels the rest and raises its error.
    """
    total = len(points)
    out: list[T | None] = [None] * total

    def ticks() -> Iterable[int]:
        return progress_bar(
            range(total), total=total, show=progress, desc="power grid", unit="point"
        )

    if backend == "serial":
        for i in ticks():
            out[i] = task(points[i], seeds[i])
    elif backend == "processes":
        with ProcessPoolExecutor(max_workers=max_workers or os.cpu_count()) as pool:
            futures = {
                pool.submit(task, p, s): i
                for i, (p, s) in enumerate(zip(points, seeds, strict=True))
            }
            done = as_completed(futures)
            try:
                for _ in ticks():
                    fut = next(done)
                    out[futures[fut]] = fut.result()
            except BaseException:  # a failed task (or Ctrl-C): do not run the rest
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    else:
        from distributed import as_completed as dask_as_completed

        futures = client.map(task, points, seeds, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        done_iter: Iterator[Any] = iter(dask_as_completed(futures))
        try:
            for _ in ticks():
                fut = next(done_iter)
                out[index[fut.key]] = fut.result()
        finally:
            client.cancel(futures)  # nothing left to run after an error; frees the results
    missing = [i for i, r in enumerate(out) if r is None]
    if missing:  # cannot happen unless a backend loses a task: never return a short table
        raise RuntimeError(f"grid points {missing} returned no result")
    return out  # type: ignore[return-value]


def dask_client(client: Any) -> Any:
    """Return ``client``, or the current dask client; a named error without one."""
    try:
        import distributed
    except ImportError as err:
        raise KaizenError(
            'backend="dask" needs dask.distributed: pip install "kaizen-eval[dask]".'
        ) from err
    if client is not None:
        if not isinstance(client, distributed.Client):
            raise KaizenError(
                f"`client` must be a distributed.Client, not {type(client).__name__}."
            )
        return client
    try:
        return distributed.get_client()
    except ValueError as err:
        raise KaizenError(
            'backend="dask" needs a cluster: pass client=distributed.Client(...) or create one '
            "first (e.g. distributed.Client(distributed.LocalCluster()))."
        ) from err
