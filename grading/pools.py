"""Where the jobs run: a local process pool (the default) or a Dask cluster; both take jobs and hand back results."""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context

from .worker import warm_up


class LocalPool:
    def __init__(self, workers: int):
        self.workers = workers
        # a worker process is replaced after 25 submissions, so a slow leak cannot accumulate;
        # each imports nbgrader when it starts, while the coordinator prepares the run
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                                        max_tasks_per_child=25, initializer=warm_up)
        for _ in range(workers):  # start them now (the pool starts one per submitted task)
            self.pool.submit(int)

    def submit(self, fn, job):
        return self.pool.submit(fn, job)

    def wait(self, futures):
        done, _ = wait(futures, return_when=FIRST_COMPLETED)
        return done

    def close(self, cancel: bool):
        self.pool.shutdown(wait=not cancel, cancel_futures=cancel)


class DaskPool:
    def __init__(self, scheduler: str):
        from distributed import Client

        self.client = Client(scheduler)
        self.workers = max(1, sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values()))

    def submit(self, fn, job):
        return self.client.submit(fn, job, pure=False)

    def wait(self, futures):
        from distributed import wait as dask_wait

        return dask_wait(list(futures), return_when="FIRST_COMPLETED").done

    def close(self, cancel: bool):
        self.client.close()
