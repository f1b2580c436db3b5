"""Roles are ordered viewer < editor < admin; refusals cross HTTP as 401 and 403."""

from __future__ import annotations

import pytest

from mlyard.auth import Principal, Role, check_role, require
from mlyard.errors import InvalidInputError, PermissionDeniedError, UnauthenticatedError
from mlyard.wire import codec
from mlyard.wire.errors import error_body, error_from_body


def test_each_role_includes_the_ones_below():
    order = [Role.VIEWER, Role.EDITOR, Role.ADMIN]
    for i, have in enumerate(order):
        for j, needed in enumerate(order):
            assert have.allows(needed) is (i >= j), (have, needed)
            assert have.allows(needed.value) is (i >= j)


def test_require_refuses_a_lower_role_naming_both():
    viewer = Principal("vic", Role.VIEWER)
    require(viewer, Role.VIEWER)
    with pytest.raises(PermissionDeniedError) as err:
        require(viewer, "editor")
    assert "'vic' is a viewer" in str(err.value) and "editor role" in str(err.value)
    require(Principal("ada", Role.ADMIN), Role.EDITOR)
    with pytest.raises(InvalidInputError):
        require(viewer, "superuser")


def test_roles_are_checked_by_name():
    assert check_role("admin") is Role.ADMIN and check_role(Role.EDITOR) is Role.EDITOR
    for bad in ("Admin", "", None, 3):
        with pytest.raises(InvalidInputError) as err:
            check_role(bad, field="--role")
        assert err.value.field == "--role"


@pytest.mark.parametrize(
    "err, status, code",
    [
        (UnauthenticatedError("this token was revoked"), 401, "UNAUTHENTICATED"),
        (PermissionDeniedError("user 'vic' is a viewer"), 403, "PERMISSION_DENIED"),
    ],
)
def test_refusals_have_their_status_and_come_back_as_themselves(err, status, code):
    got, body = error_body(err)
    assert (got, body["error_code"]) == (status, code)
    back = error_from_body(got, body)
    assert type(back) is type(err) and str(back) == str(err)


def test_a_principal_crosses_the_wire():
    p = Principal("ada", Role.ADMIN, "abc")
    assert codec.decode(codec.encode(p), Principal) == p
