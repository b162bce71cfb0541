"""Run under mpiexec: mxjit.horovod's collectives against NumPy (every worker knows every
worker's values: they are a function of the rank). Prints 'OK <rank>'."""
import sys

import numpy as np

import mxjit as mx
import mxjit.horovod as hvd
from mxjit.base import ParamError, UnsupportedError


def value(rank):
    return np.arange(6, dtype=np.float32).reshape(2, 3) + 10 * rank


def main():
    try:
        hvd.rank()
    except ParamError as e:
        assert "hvd.init()" in str(e)
    hvd.init()
    rank, n = hvd.rank(), hvd.size()
    assert hvd.is_initialized() and hvd.mpi_enabled() and not hvd.nccl_built()
    assert 0 <= hvd.local_rank() < hvd.local_size() == n  # (one machine)
    everyone = [value(r) for r in range(n)]
    x = mx.nd.array(value(rank))
    np.testing.assert_allclose(hvd.allreduce(x).asnumpy(), sum(everyone) / n, rtol=1e-6)
    np.testing.assert_allclose(hvd.allreduce(x, average=False).asnumpy(), sum(everyone))
    np.testing.assert_allclose(
        hvd.allreduce(x, op=hvd.Sum, prescale_factor=2.0, postscale_factor=0.5).asnumpy(),
        sum(everyone))
    np.testing.assert_allclose(hvd.allreduce(x, op=hvd.Max).asnumpy(), everyone[-1])
    np.testing.assert_array_equal(x.asnumpy(), value(rank))  # (allreduce made a copy)
    hvd.allreduce_(x, average=True, postscale_factor=n)
    np.testing.assert_allclose(x.asnumpy(), sum(everyone), rtol=1e-6)
    pair = [mx.nd.array(value(rank)), mx.nd.ones((4,)) * rank]
    hvd.grouped_allreduce_(pair, average=False)
    np.testing.assert_allclose(pair[1].asnumpy(), sum(range(n)))
    gathered = hvd.allgather(mx.nd.ones((rank + 1, 2)) * rank)
    want = np.concatenate([np.full((r + 1, 2), r, np.float32) for r in range(n)])
    np.testing.assert_array_equal(gathered.asnumpy(), want)
    b = hvd.broadcast(mx.nd.array(value(rank)), root_rank=n - 1)
    np.testing.assert_array_equal(b.asnumpy(), everyone[-1])
    y = mx.nd.array(value(rank))
    hvd.broadcast_(y, root_rank=1)
    np.testing.assert_array_equal(y.asnumpy(), everyone[1])
    # broadcast_parameters, also of a parameter initialized later (deferred)
    mx.random.seed(rank)
    net = mx.gluon.nn.Dense(3)
    net.initialize()
    hvd.broadcast_parameters(net.collect_params(), root_rank=0)
    net(mx.nd.ones((1, 5)))
    w = net.weight.data()
    np.testing.assert_array_equal(hvd.broadcast(w, root_rank=0).asnumpy(), w.asnumpy())
    hvd.broadcast_parameters({"a": mx.nd.ones((2,)) * rank}, root_rank=0)
    # DistributedOptimizer: the gradient is averaged before the update
    weight = mx.nd.zeros((2, 3))
    sgd = hvd.DistributedOptimizer(mx.optimizer.SGD(learning_rate=1.0))
    sgd.update(0, weight, mx.nd.array(value(rank)), None)
    np.testing.assert_allclose(weight.asnumpy(), -sum(everyone) / n, rtol=1e-6)
    for bad, error in ((lambda: hvd.allreduce(x, average=True, op=hvd.Sum), ParamError),
                       (lambda: hvd.allreduce(x, op=hvd.Adasum), UnsupportedError),
                       (lambda: hvd.allreduce(x, op="mean"), ParamError),
                       (lambda: hvd.broadcast_parameters([1, 2]), ParamError),
                       (lambda: hvd.init(comm=[0]), UnsupportedError),
                       (lambda: hvd.broadcast_parameters({}, prefix=3), ParamError),
                       (lambda: hvd.DistributedTrainer([], "sgd", prefix=3), ParamError)):
        try:
            bad()
        except error:
            pass
        else:
            raise AssertionError(f"no {error.__name__}")
    sys.stdout.write(f"OK {rank}\n")


if __name__ == "__main__":
    main()
