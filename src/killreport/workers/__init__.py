"""Queue consumers: runtime, the routes table, thin handlers."""
