"""Thin Python views over flyteidl protobuf messages."""
