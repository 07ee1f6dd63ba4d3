"""flytekit's ``flytekit.extras``: the accelerator names tasks take (``aioflyte.extras.accelerators``) and ready-made
tasks (``aioflyte.extras.sqlite3``)."""
