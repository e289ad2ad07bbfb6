"""Pub/sub of domain events: protocol, Redis and in-process hubs, event contracts."""
