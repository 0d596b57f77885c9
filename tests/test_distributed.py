"""The same sweep on a Dask LocalCluster with two worker processes gives bit-identical results.
The cluster is started by the test itself (needs the [distributed] extra, part of [test])."""

from __future__ import annotations

import pytest

import nalu_ext
from nalu_ext import sweeps
from nalu_ext.tasks import ArithmeticTask

ISA_INDEPENDENT = True

distributed = pytest.importorskip("distributed")


def test_dask_cluster_matches_serial_run(tmp_path):
    runs = [nalu_ext.make_run(f, ArithmeticTask(op, input_size=10, subset_ratio=0.2, seed=s), seed=s,
                              steps=2000, lr=1e-2, log_every=1000)
            for f, op in (("NAU", "add"), ("NMU", "mul")) for s in range(2)]
    serial = {sweeps.run_id(r): sweeps.execute(r)["result"] for r in runs}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        summary = nalu_ext.sweep(runs, executor=client.get_executor(), results=str(tmp_path / "d.jsonl"),
                                 progress=False)
    records = sweeps.read_results(str(tmp_path / "d.jsonl"))
    assert len(records) == len(runs) and summary.failed == 0
    for rid, expected in serial.items():
        assert records[rid]["status"] == "ok"
        assert records[rid]["result"]["train_loss"] == expected["train_loss"]
        assert records[rid]["result"]["extrapolation_mse"] == expected["extrapolation_mse"]
