"""The HTTP service: FastAPI routes over one shared, read-only pipeline.

Thin by design: request/response models, settings, errors, limits and observability;
every answer comes from `rag`, every index from `index`. Build an app with
`api.app.create_app(settings)`.
"""
