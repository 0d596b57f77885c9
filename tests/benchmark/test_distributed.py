"""The same sweep on a Dask LocalCluster with two worker processes gives bit-identical results.
The cluster is started by the test itself (needs the [distributed] extra, part of [test])."""

from __future__ import annotations

import pytest

import nalu_ext
from nalu_ext.benchmark import sweeps
from nalu_ext.benchmark.tasks import ArithmeticTask

ISA_INDEPENDENT = True

distributed = pytest.importorskip("distributed")


def test_dask_cluster_matches_serial_run(tmp_path):
    runs = [nalu_ext.benchmark.make_run(f, ArithmeticTask(op, input_size=10, subset_ratio=0.2, seed=s), seed=s,
                              steps=2000, lr=1e-2, log_every=1000)
            for f, op in (("NAU", "add"), ("NMU", "mul")) for s in range(2)]
    serial = {sweeps.run_id(r): sweeps.execute(r)["result"] for r in runs}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        summary = nalu_ext.benchmark.sweep(runs, executor=client.get_executor(), results=str(tmp_path / "d.jsonl"),
                                 progress=False)
    records = sweeps.read_results(str(tmp_path / "d.jsonl"))
    assert len(records) == len(runs) and summary.failed == 0
    for rid, expected in serial.items():
        assert records[rid]["status"] == "ok"
        assert records[rid]["result"]["train_loss"] == expected["train_loss"]
        assert records[rid]["result"]["extrapolation_mse"] == expected["extrapolation_mse"]


@pytest.mark.kills_processes
def test_lost_workers_are_reported_and_losing_all_gives_up_with_the_finished_runs_kept(tmp_path):
    """When one worker was lost nothing said its runs were recomputed; when every worker was lost
    the command waited for ever (--scheduler-timeout covered only the first connection)."""
    import json
    import os
    import signal
    import subprocess
    import sys
    import time

    scheduler_file = tmp_path / "scheduler.json"
    quiet = {**os.environ, "DASK_LOGGING__DISTRIBUTED": "error"}
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--scheduler-file",
                                  str(scheduler_file), "--port", "0", "--dashboard-address", ":0", "--no-show"],
                                 env=quiet, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = []
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        # Each worker has its own scratch directory (two starting at once share /tmp/dask-scratch-space),
        # and the sweep starts only once both are connected: in CI (stop 36, a slow machine) the watch
        # said nothing at all, as if the first worker killed had never joined.
        workers = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                     "--nworkers", "1", "--no-nanny", "--no-dashboard",
                                     "--local-directory", str(tmp_path / f"worker{i}")], env=quiet,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(2)]
        with distributed.Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
            assert len(client.scheduler_info(n_workers=-1)["workers"]) == 2
        results, said = tmp_path / "runs.jsonl", tmp_path / "stderr.txt"
        # Far more work than the kills take to be noticed: on a fast machine 20 runs of 1e5 steps were
        # all done by one worker before the scheduler had reported the other lost (CI, stop 36).
        seeds = 400
        with open(said, "w") as stderr:
            command = subprocess.Popen(
                [sys.executable, "-m", "nalu_ext", "benchmark", "--units", "NAU", "--ops", "add", "--seeds", str(seeds),
                 "--steps", "100000", "--log-every", "50000", "--no-progress", "--results", str(results),
                 "--scheduler", address, "--scheduler-timeout", "4"],
                env=quiet, stdout=subprocess.PIPE, stderr=stderr, text=True)

        def finished():
            return len(results.read_text().splitlines()) if results.exists() else 0

        def wait_for(condition):
            while not condition() and time.monotonic() < deadline + 120 and command.poll() is None:
                time.sleep(0.05)

        for left, worker in zip((1, 0), workers):  # each once a run has finished since the last kill
            target = finished() + 1
            wait_for(lambda: finished() >= target)
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            wait_for(lambda: f"({left} left)" in said.read_text())  # the watch has seen it
        out, _ = command.communicate(timeout=60)
        err = said.read_text()
    finally:
        for process in (*workers, scheduler):
            process.kill()
            process.wait()
    assert command.returncode == 1, (out, err)
    assert "was lost; the runs it was running start again on the others (1 left)" in err
    assert "(0 left)" in err
    assert "dask: no worker is connected for 4 s; giving up on the runs that had not finished; the runs " \
           f"that finished are in {results}: run the same command again to resume" in err
    assert "Traceback" not in err
    kept = nalu_ext.benchmark.read_results(str(results))
    assert 2 <= len(kept) < seeds and all(r["status"] == "ok" for r in kept.values())
