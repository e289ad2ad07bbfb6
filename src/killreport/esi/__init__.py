"""ESI client: budget, HTTP cache, typed models."""
