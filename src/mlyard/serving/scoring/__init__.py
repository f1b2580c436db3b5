"""The scoring process: what runs inside a deployed service, and nothing else.

It needs only its deployment folder (see :mod:`mlyard.serving.spec`) — no database,
no workspace, no deploying code — and reports progress through the stage log
(:mod:`mlyard.serving.stages`), the two files it shares with the deploying side.

    python -m mlyard.serving.scoring ./yard/deployments/diabetes-service

Modules: ``runner`` (start, load, serve), ``app`` (the ASGI app), ``served`` (a
loaded model and its input checks), ``payload`` (request and response bodies),
``openapi`` (the service's OpenAPI document).
"""
