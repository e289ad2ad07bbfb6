"""The HTTP entrypoint: health, metrics, GraphQL and pages."""
