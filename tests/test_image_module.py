"""`mx.image.image`: MXNet's module path of the image functions, and its
`_get_interp_method` (which GluonCV imports from there)."""
from __future__ import annotations

import pytest

import mxjit as mx
from mxjit.image import image


def test_the_module_holds_mx_images_names():
    for name in image.__all__:
        assert getattr(image, name) is getattr(mx.image, name), name


@pytest.mark.parametrize("interp, sizes, want", [
    (9, (10, 10, 20, 20), 2), (9, (20, 20, 10, 10), 3), (9, (10, 20, 20, 10), 1), (9, (), 2),
    (0, (), 0), (4, (10, 10, 5, 5), 4),
])
def test_get_interp_method_is_mxnets(interp, sizes, want):
    assert image._get_interp_method(interp, sizes) == want


def test_random_and_unknown_interpolation():
    assert 0 <= image._get_interp_method(10) <= 4
    with pytest.raises(mx.base.ParamError, match="unknown interpolation method 7"):
        image._get_interp_method(7)


def test_mx_image_image_is_an_attribute_as_in_mxnet():
    # (MXNet's test_image calls mx.img.image.imread)
    assert mx.img.image.imread is mx.image.imread
