"""Talking to Flyte: serialization of entities into flyteidl messages (``aioflyte.remote.translator``) and the
settings it needs (``aioflyte.remote.serialization``)."""
