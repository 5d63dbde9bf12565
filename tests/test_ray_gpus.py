"""Neural tasks on a Ray cluster with GPUs ask for a share of one, and Ray shows each its
GPU: a real local cluster that declares one GPU (``ray.init(num_gpus=1)``; Ray schedules on
the declared count, so no GPU is needed to see it done)."""

from __future__ import annotations

import os
import sys

import pytest

from seqcast.engines import Engine, run_tasks

if not os.environ.get("CI"):
    pytest.importorskip("ray")
import ray  # CI installs seqcast[ray]: a missing Ray fails there

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module", autouse=True)
def cluster():
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(address="local", num_cpus=2, num_gpus=1, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def gpus_seen(_: int) -> list[str]:
    """The GPUs Ray gave the task that runs this."""
    return [str(gpu) for gpu in ray.get_gpu_ids()]


def test_neural_tasks_get_a_share_of_the_gpu_and_others_none() -> None:
    engine = Engine("ray")  # no share given: a quarter of a GPU each, the cluster has one
    neural = run_tasks(gpus_seen, [1, 2, 3, 4], engine, preload=("torch",))
    assert neural == [["0"]] * 4
    assert run_tasks(gpus_seen, [1, 2], engine) == [[], []]  # statistical work: no GPU
    halves = run_tasks(gpus_seen, [1, 2], Engine("ray", gpus_per_task=0.5), preload=("torch",))
    assert halves == [["0"], ["0"]]
    none = run_tasks(gpus_seen, [1], Engine("ray", gpus_per_task=0), preload=("torch",))
    assert none == [[]]
