"""flytekit's ``flytekit.extras``: ready-made tasks (``aioflyte.extras.sqlite3``)."""
