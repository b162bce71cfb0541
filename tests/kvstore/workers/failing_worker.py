"""Run under mpiexec: rank 1 dies ('kill': SIGKILL; 'raise': an uncaught exception) while
the others wait for it in a push; MPI must end them all."""
import os
import signal
import sys
import time

import mxjit as mx

kv = mx.kv.create("dist_sync")
kv.init(0, mx.nd.zeros((4,)))
if kv.rank == 1:
    time.sleep(0.5)
    if sys.argv[1] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    raise ValueError("worker 1 broke")
kv.push(0, mx.nd.ones((4,)))  # (waits for rank 1 forever, unless MPI ends it)
print("rank", kv.rank, "was not stopped", flush=True)
