"""flytekit's ``flytekit.extras``: the accelerator names tasks take (``aioflyte.extras.accelerators``)."""
