"""Users of the workspace and their roles (admins only)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from mlyard import auth
from mlyard.server.context import admin, reply
from mlyard.server.route import Route
from mlyard.store.records import UserRecord
from mlyard.wire.requests import RoleSet, UserCreate
from mlyard.workspace import Workspace

router = APIRouter(prefix="/api/v1/users", tags=["users"], route_class=Route)


@router.get("")
def list_users(ws: Workspace = admin) -> Response:
    return reply(auth.list_users(ws), list[UserRecord])


@router.post("", status_code=201)
def create_user(body: UserCreate, ws: Workspace = admin) -> Response:
    return reply(auth.create_user(ws, body.name, body.role), status=201)


@router.get("/{name}")
def get_user(name: str, ws: Workspace = admin) -> Response:
    return reply(auth.get_user(ws, name))


@router.patch("/{name}")
def set_role(name: str, body: RoleSet, ws: Workspace = admin) -> Response:
    return reply(auth.set_role(ws, name, body.role))


@router.post("/{name}/disable")
def disable_user(name: str, ws: Workspace = admin) -> Response:
    return reply(auth.disable_user(ws, name))
