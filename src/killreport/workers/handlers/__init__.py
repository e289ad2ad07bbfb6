"""Thin queue handlers, one module per concern (never one per entity kind)."""
