"""Users and tokens over REST.

A token is minted and hashed where the workspace's key lives, on the server:
:func:`mlyard.auth.create_token` asks the server for one (:meth:`issue_token`), and
deciding whether a token admits someone is the server's job alone.
"""

from __future__ import annotations

from typing import NoReturn

from mlyard.errors import InvalidInputError
from mlyard.store._base import AuthStore
from mlyard.store._rest.base import RestBase, q
from mlyard.store.records import Role, TokenRecord, UserRecord
from mlyard.wire import requests as r


class RestAuthStore(RestBase, AuthStore):
    def create_user(self, name: str, role: Role) -> UserRecord:
        body = r.UserCreate(name=name, role=role)
        return self.conn.call("POST", "/api/v1/users", body, as_type=UserRecord)

    def get_user(self, name: str) -> UserRecord:
        return self.conn.call("GET", f"/api/v1/users/{q(name)}", as_type=UserRecord)

    def list_users(self) -> list[UserRecord]:
        return self.conn.call("GET", "/api/v1/users", as_type=list[UserRecord])

    def set_user_role(self, name: str, role: Role) -> UserRecord:
        body = r.RoleSet(role=role)
        return self.conn.call("PATCH", f"/api/v1/users/{q(name)}", body, as_type=UserRecord)

    def disable_user(self, name: str) -> UserRecord:
        path = f"/api/v1/users/{q(name)}/disable"
        return self.conn.call("POST", path, as_type=UserRecord)

    def issue_token(
        self, user: str, label: str, expires_in: float | None
    ) -> tuple[str, TokenRecord]:
        """A new token of ``user``, minted by the server: (the secret, its record)."""
        body = r.TokenCreate(user=user, label=label, expires_in=expires_in)
        answer = self.conn.call("POST", "/api/v1/tokens", body)
        from mlyard.wire import codec

        return answer["token"], codec.load(answer["record"], TokenRecord)

    def create_token(self, user, label, token_hash, prefix, expires_at=None) -> NoReturn:
        _server_only("storing a token hash")

    def list_tokens(self, user: str | None = None) -> list[TokenRecord]:
        params = {} if user is None else {"user": user}
        return self.conn.call("GET", "/api/v1/tokens", params=params, as_type=list[TokenRecord])

    def revoke_token(self, token_id: str) -> TokenRecord:
        return self.conn.call("DELETE", f"/api/v1/tokens/{q(token_id)}", as_type=TokenRecord)

    def find_token(self, token_hash: str) -> NoReturn:
        _server_only("checking a token")

    def touch_token(self, token_id: str, at: int) -> NoReturn:
        _server_only("recording a token's use")


def _server_only(what: str) -> NoReturn:
    raise InvalidInputError(
        f"{what} happens on the server, which alone holds the workspace's key",
        field="token",
        fix="create tokens with mlyard.auth.create_token(ws, user) or `mlyard tokens create`",
    )
