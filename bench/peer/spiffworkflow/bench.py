#!/usr/bin/env python3
"""SpiffWorkflow peer of egov's case-engine benchmark (并联审批, joint approval).

Each instance of joint_approval.bpmn is driven along the happy path and its
whole workflow is persisted as JSON (BpmnWorkflowSerializer) after every step,
one file per instance, written with open/write/flush/os.fsync -- durable like
an egov commit (on disk before it is answered). Persisted steps
per instance, matching egov's commits for the same case:

  1. start    create the instance, run engine steps up to the ready "accept"
  2. accept   the lead department accepts (受理并分送); the fork runs
  3-5. branch_approve_{market,tax,police}: each co-handling department
     approves (本部门同意); after the third, the join and the end event
     "approved" run in the same step, so the instance is finished there.

The BPMN is parsed once up front; instances are created from that spec.

Single process, single thread: CPython's GIL means threads would not add
engine throughput (the work is pure-Python CPU apart from fsync), and egov's
case commits also go through one writer, so one loop is the fair peer.

Output, one machine-readable line at the end:
  spiffworkflow instances=N seconds=S instances_per_sec=X steps_per_sec=Y ...
"""

import argparse
import os
import sys
import time

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

HERE = os.path.dirname(os.path.abspath(__file__))
PROCESS_ID = "joint_approval"
BRANCHES = ("branch_approve_market", "branch_approve_tax", "branch_approve_police")
STEPS_PER_INSTANCE = 2 + len(BRANCHES)  # start, accept, one per branch


def spiff_version():
    try:
        from importlib.metadata import version

        return version("SpiffWorkflow")
    except Exception:  # pragma: no cover
        return "unknown"


def load_spec(path):
    parser = BpmnParser()
    parser.add_bpmn_file(path)
    return parser.get_spec(PROCESS_ID)


class Store:
    """One JSON file per instance, rewritten at every step.

    The file is overwritten in place and then cut to the new length
    (open without O_TRUNC, write, truncate, flush, os.fsync). The naive
    open(path, "wb") truncates to zero first, and ext4 (auto_da_alloc) then
    forces the data out on close and frees and reallocates the blocks: on this
    machine that alone cuts throughput ~3x even without fsync -- a file-system
    artefact, not SpiffWorkflow's cost, so it is off by default (--truncate).
    The directory is not fsynced after a file is created: one fsync per step,
    like one egov commit.
    """

    def __init__(self, directory, fsync, truncate=False):
        self.directory = directory
        self.fsync = fsync
        self.flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if truncate else 0)
        self.bytes = 0

    def path(self, n):
        return os.path.join(self.directory, f"case-{n:08d}.json")

    def save(self, n, serializer, workflow):
        data = serializer.serialize_json(workflow).encode("utf-8")
        fd = os.open(self.path(n), self.flags, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.truncate()  # at the end of what was just written
            f.flush()
            if self.fsync:
                os.fsync(f.fileno())
        self.bytes += len(data)


def ready_user_tasks(workflow):
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def complete(workflow, name, data):
    """Complete the ready user task `name` with form data, then run the engine."""
    tasks = [t for t in ready_user_tasks(workflow) if t.task_spec.name == name]
    if len(tasks) != 1:
        raise RuntimeError(f"expected one ready {name!r}, found {len(tasks)}")
    task = tasks[0]
    task.data.update(data)
    task.run()
    workflow.do_engine_steps()


def run_instance(n, spec, serializer, store):
    # 1. start
    wf = BpmnWorkflow(spec)
    wf.do_engine_steps()
    store.save(n, serializer, wf)

    # 2. accept (lead department)
    complete(wf, "accept", {"accepted_by": "lead", "opinion": "受理"})
    store.save(n, serializer, wf)

    # 3-5. the three parallel reviews, each completed and persisted on its own
    ready = sorted(t.task_spec.name for t in ready_user_tasks(wf))
    if ready != sorted(BRANCHES):
        raise RuntimeError(f"after accept expected {BRANCHES}, ready: {ready}")
    for name in BRANCHES:
        complete(wf, name, {name.rsplit("_", 1)[1]: {"opinion": "同意"}})
        store.save(n, serializer, wf)

    if not wf.is_completed():
        raise RuntimeError(f"instance {n} not completed after the join")
    return wf


def check(spec, serializer, store, n):
    """Outside the timed loop: the last file restores to a finished instance."""
    with open(store.path(n), "rb") as f:
        wf = serializer.deserialize_json(f.read().decode("utf-8"))
    if not wf.is_completed():
        raise RuntimeError("restored workflow is not completed")
    end = [t for t in wf.get_tasks(spec_name="approved") if t.has_state(TaskState.COMPLETED)]
    if len(end) != 1:
        raise RuntimeError("restored workflow did not end in 'approved'")
    data = wf.last_task.data if wf.last_task is not None else {}
    for name in BRANCHES:
        if data.get(name.rsplit("_", 1)[1], {}).get("opinion") != "同意":
            raise RuntimeError(f"restored workflow lacks the opinion of {name}: {data}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="run length (default 10)")
    ap.add_argument("--count", type=int, default=0,
                    help="run exactly this many instances instead of --seconds")
    ap.add_argument("--dir", required=True, help="directory for the per-instance JSON files")
    ap.add_argument("--no-fsync", action="store_true", help="write without os.fsync (for context)")
    ap.add_argument("--truncate", action="store_true",
                    help="open each file with O_TRUNC (naive open(path, 'wb')); see Store")
    ap.add_argument("--bpmn", default=os.path.join(HERE, "joint_approval.bpmn"))
    args = ap.parse_args()

    os.makedirs(args.dir, exist_ok=True)
    spec = load_spec(args.bpmn)
    serializer = BpmnWorkflowSerializer()
    store = Store(args.dir, fsync=not args.no_fsync, truncate=args.truncate)

    n = 0
    start = time.perf_counter()
    deadline = start + args.seconds
    while True:
        if args.count:
            if n >= args.count:
                break
        elif time.perf_counter() >= deadline:
            break
        run_instance(n, spec, serializer, store)
        n += 1
    elapsed = time.perf_counter() - start

    if n:
        check(spec, serializer, store, n - 1)

    steps = n * STEPS_PER_INSTANCE
    print(
        "spiffworkflow"
        f" instances={n}"
        f" seconds={elapsed:.2f}"
        f" instances_per_sec={n / elapsed:.1f}"
        f" steps_per_sec={steps / elapsed:.1f}"
        f" fsync={0 if args.no_fsync else 1}"
        f" truncate={1 if args.truncate else 0}"
        f" steps_per_instance={STEPS_PER_INSTANCE}"
        f" bytes_written_per_instance={store.bytes // n if n else 0}"
        f" version={spiff_version()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
