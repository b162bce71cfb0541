"""Errors and small shared definitions for the whole package."""
class MXNetError(Exception):
    """Base of mxjit's user-facing errors (MXNet's name)."""
