"""The HTTP face of the service: Litestar app, GraphQL schema and web pages."""
