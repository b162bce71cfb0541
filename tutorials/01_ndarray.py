"""NDArray in five minutes (after MXNet's "Manipulate data with ndarray" crash course).

Run it: `python tutorials/01_ndarray.py`. Every line is MXNet 1.x code; only the import
differs.
"""
import os
import tempfile

import numpy as np

import mxjit as mx
from mxjit import nd

# Creating arrays: from Python lists or NumPy, or filled with a value.
x = nd.array([[1, 2, 3], [5, 6, 7]])
print(x)                                   # printed exactly as MXNet prints it
print(x.shape, x.size, x.dtype, x.context)
print(nd.ones((2, 3)), nd.full((2, 3), 2.0), nd.arange(0, 6).reshape((2, 3)))

# Random numbers are reproducible from the seed.
mx.random.seed(42)
y = nd.random.uniform(-1, 1, shape=(2, 3))
print(y)

# Operations: elementwise arithmetic, exponentials, matrix products, reductions.
print(x * y, y.exp(), nd.dot(x, y.T))
print(x.sum(axis=1), nd.mean(x), nd.argmax(x, axis=1))

# MXNet's reshape codes: 0 copies a dimension, -1 infers one, -3 merges two.
print(nd.zeros((2, 3, 4)).reshape((0, -1)).shape, nd.zeros((2, 3, 4)).reshape((-3, 0)).shape)

# Indexing and slicing: basic slices of contiguous rows are views, as in MXNet.
row = x[1]
x[1] = 0
print(row)                                 # the view sees the write
x[:, 1:2] = 9
print(x)

# Broadcasting needs the broadcast_* functions or the operators.
print(nd.broadcast_add(nd.ones((2, 1)), nd.arange(3)))

# Converting to and from NumPy.
a = x.asnumpy()
assert isinstance(a, np.ndarray)
print(nd.array(a * 2, dtype="int32"))

# Saving and loading in MXNet's own binary format: real MXNet reads these files.
path = os.path.join(tempfile.mkdtemp(), "tutorial.params")
nd.save(path, {"x": x, "y": y})
print(nd.load(path)["y"])
