"""Helpers of the container entrypoint (``aioflyte/entrypoint.py``): resolvers, error documents, the run."""
