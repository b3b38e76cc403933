"""The web layer: blueprints, schemas, errors, cursors, OpenAPI, request limits, CORS, JWT."""
