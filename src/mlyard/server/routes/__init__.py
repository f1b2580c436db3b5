"""One router per resource; :data:`ROUTERS` lists them for the app."""

from mlyard.server.routes import (
    blobs,
    datasets,
    datastore_files,
    datastores,
    deployments,
    experiments,
    health,
    models,
    runs,
    services,
    tokens,
    users,
    workspace,
)

ROUTERS = [
    health.router,
    experiments.router,
    runs.router,
    datastores.router,
    datastore_files.router,
    datasets.router,
    models.router,
    deployments.router,
    services.router,
    workspace.router,
    blobs.router,
    users.router,
    tokens.router,
]
