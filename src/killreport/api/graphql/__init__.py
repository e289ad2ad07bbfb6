"""GraphQL at /graphql: schema assembled from parts, guards, loaders, the FastAPI router."""
