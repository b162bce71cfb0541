"""Drawing detection boxes (and their class names) on an image, with Pillow: what
`ImageDetIter.draw_next` yields. MXNet draws with OpenCV, whose thick lines are centred
on the box's edge; Pillow's grow inwards, so the pixels differ along the lines.

    >>> boxes = np.array([[0, .1, .1, .5, .5]])  # doctest: +SKIP
    >>> image = draw_boxes(image, boxes, (0, 0, 255), 2, None)  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import nd


def draw_boxes(image: np.ndarray, objects: np.ndarray, color: Any, thickness: int,
               id2labels: dict | None) -> np.ndarray:
    """`image` (H, W, 3) uint8 with a rectangle per row of `objects` ([class id, xmin,
    ymin, xmax, ymax, ...], fractions of the size; rows with xmin < 0 are padding) in
    `color` (a random one per box when None), and the class's name from `id2labels` in
    white.

    >>> draw_boxes(np.zeros((8, 8, 3), np.uint8), np.array([[0, 0, 0, .5, .5]]),
    ...            (255, 0, 0), 1, None)[0, 0].tolist()  # doctest: +SKIP
    [255, 0, 0]
    """
    from PIL import Image, ImageDraw  # (imported when used: `import mxjit` needs no Pillow)

    height, width = image.shape[:2]
    canvas = Image.fromarray(np.ascontiguousarray(image))
    draw = ImageDraw.Draw(canvas)
    for row in objects:
        x1 = int(row[1] * width)
        if x1 < 0:
            continue
        y1, x2, y2 = int(row[2] * height), int(row[3] * width), int(row[4] * height)
        box_color = color if color is not None else \
            nd.random.uniform(0, 255, shape=(3,), dtype="float64").asnumpy()
        draw.rectangle([min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)],
                       outline=tuple(int(c) for c in box_color), width=max(1, thickness))
        if id2labels is not None and int(row[0]) in id2labels:
            draw.text((x1 + 5, y1 + 5), f"{id2labels[int(row[0])]}", fill=(255, 255, 255))
    return np.asarray(canvas).copy()
