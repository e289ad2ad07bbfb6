"""Tests of live subscriptions: the feed, the fan-out and GraphQL over WebSocket."""
