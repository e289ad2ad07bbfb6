"""Contract tests of the message bus and the worker runtime, on every backend."""
