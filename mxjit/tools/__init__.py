"""`mxjit.tools`: command-line tools (`python -m mxjit.tools.launch`, MXNet's
`tools/launch.py` for distributed training over MPI).

    $ python -m mxjit.tools.launch -n 4 python train.py
"""
__all__: list[str] = []
