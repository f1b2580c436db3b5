"""Paths sent over HTTP stay inside their datastore, or inside the blob store: ``..``,
absolute paths, percent-encoded dots, backslashes, NUL and symbolic links leading out
are refused with a 4xx JSON error, and nothing outside is read, written or removed.

The files outside (``secrets``) sit one and two levels above the datastore folder and
in a folder of their own; links to them are planted in the datastore folder as someone
on the server's machine would, through the server's own workspace.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SECRET = b"the-secret-bytes"
FS = "/api/v1/datastores/default/fs"


@pytest.fixture
def secrets(served, tmp_path):
    """Files outside the datastore: ``{label: path}``."""
    root = Path(served.ws.get_datastore("default")._key(""))
    places = {
        "parent": root.parent / "secret.txt",
        "grandparent": root.parent.parent / "secret.txt",
        "elsewhere": tmp_path / "outside" / "secret.txt",
    }
    for path in places.values():
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(SECRET)
    return places


def outside_state(secrets) -> dict[str, object]:
    """What is outside the datastore: the secrets' bytes and their folders' names."""
    state: dict[str, object] = {k: p.read_bytes() for k, p in secrets.items()}
    for label, path in secrets.items():
        state[f"{label}/"] = sorted(os.listdir(path.parent))
    return state


# Query values as sent, percent-encoding included. ELSEWHERE stands for the absolute
# path of the secret in a folder of its own: were confinement broken, a test would
# overwrite or remove only that, never a file of the machine's own.
ELSEWHERE = "{elsewhere}"
ESCAPES = {
    "dot-dot": "..",
    "parent file": "../secret.txt",
    "grandparent file": "../../secret.txt",
    "down then up": "a/../../secret.txt",
    "absolute": ELSEWHERE,
    "encoded dots": "%2e%2e/secret.txt",
    "encoded slash": "..%2f..%2fsecret.txt",
    "backslashes": "..%5c..%5csecret.txt",
    "mixed slashes": "a%5c..%2f..%2fsecret.txt",
    "NUL": "a%00b",
    "drive letter": "C:%5csecret.txt",
}


def requests_with(path: str) -> list[tuple[str, str, dict]]:
    """Every datastore file operation, given ``path`` where it takes one."""
    return [
        ("GET", f"{FS}/info?path={path}", {}),
        ("GET", f"{FS}/ls?path={path}", {}),
        ("GET", f"{FS}/find?path={path}", {}),
        ("GET", f"{FS}/file?path={path}", {}),
        ("PUT", f"{FS}/file?path={path}", {"content": b"overwritten"}),
        ("DELETE", f"{FS}/file?path={path}", {}),
    ]


def moves_with(path: str) -> list[dict]:
    inside = "inside.txt"
    return [{"src": path, "dst": inside}, {"src": inside, "dst": path}]


@pytest.mark.parametrize("escape", ESCAPES)
def test_a_path_leading_out_is_refused(served, secrets, escape):
    served.http.put(f"{FS}/file?path=inside.txt", content=b"inside")
    before = outside_state(secrets)
    path = ESCAPES[escape].replace(ELSEWHERE, str(secrets["elsewhere"]))
    for method, url, request in requests_with(path):
        r = served.http.request(method, url, **request)
        assert r.status_code == 400, (method, url, r.text)
        assert r.json()["field"] == "path" and SECRET.decode() not in r.text
    # the JSON body carries the path decoded: the same escapes, unencoded
    from urllib.parse import unquote

    for body in moves_with(unquote(path)):
        r = served.http.post(f"{FS}/mv", json=body)
        assert r.status_code == 400, (body, r.text)
        field = "src" if body["dst"] == "inside.txt" else "dst"
        assert r.json()["field"] == field
    assert outside_state(secrets) == before
    assert served.http.get(f"{FS}/file?path=inside.txt").content == b"inside"


@pytest.fixture
def links(served, secrets):
    """Symbolic links planted in the datastore folder: out of it, and one inside it."""
    root = Path(served.ws.get_datastore("default")._key(""))
    (root / "real").mkdir()
    (root / "real" / "a.csv").write_bytes(b"1,2")
    (root / "to-dir").symlink_to(secrets["elsewhere"].parent, target_is_directory=True)
    (root / "to-file").symlink_to(secrets["grandparent"])
    (root / "to-nothing").symlink_to(secrets["elsewhere"].parent / "new.txt")
    (root / "to-root").symlink_to("/", target_is_directory=True)
    (root / "alias").symlink_to("real", target_is_directory=True)
    return root


LINKED = ["to-dir", "to-dir/secret.txt", "to-file", "to-nothing", f"to-root{ELSEWHERE}"]


@pytest.mark.parametrize("path", LINKED)
def test_a_symbolic_link_leading_out_is_refused(served, secrets, links, path):
    before = outside_state(secrets)
    path = path.replace(ELSEWHERE, str(secrets["elsewhere"]))
    for method, url, request in requests_with(path) + [
        ("PUT", f"{FS}/file?path={path}/new.txt", {"content": b"x"}),
    ]:
        r = served.http.request(method, url, **request)
        assert r.status_code == 400, (method, url, r.text)
        assert "outside" in r.json()["message"] and SECRET.decode() not in r.text
    for body in moves_with(path):
        r = served.http.post(f"{FS}/mv", json=body)
        assert r.status_code in (400, 404), (body, r.text)
        assert SECRET.decode() not in r.text
    assert outside_state(secrets) == before
    assert not (secrets["elsewhere"].parent / "new.txt").exists()


def test_listings_leave_out_links_leading_out(served, secrets, links):
    listed = {e["name"] for e in served.http.get(f"{FS}/ls").json()}
    assert listed == {"real", "alias"}
    found = served.http.get(f"{FS}/find", params={"withdirs": True}).json()
    assert {e["name"] for e in found} <= {"", "real", "real/a.csv", "alias"}
    assert "real/a.csv" in {e["name"] for e in found}
    sizes = {e["size"] for e in found if e["type"] == "file"}
    assert len(SECRET) not in sizes


def test_a_link_inside_the_datastore_is_followed(served, links):
    assert served.http.get(f"{FS}/file", params={"path": "alias/a.csv"}).content == b"1,2"
    assert served.http.get(f"{FS}/info", params={"path": "alias"}).status_code == 200


BAD_SHAS = {
    "dot-dot": "..",
    "encoded dots": "%2e%2e",
    "traversal": "..%5c..%5csecret.txt",
    "NUL": "%00",
    "upper case": "A" * 64,
    "too short": "a" * 63,
    "dots and hex": "../" + "a" * 61,
}


@pytest.mark.parametrize("sha", BAD_SHAS)
def test_a_blob_name_that_is_not_a_digest_is_refused(served, secrets, sha):
    before = outside_state(secrets)
    target = f"/api/v1/blobs/{BAD_SHAS[sha]}"
    for method in ("GET", "DELETE", "HEAD"):
        r = served.http.request(method, target)
        assert r.status_code in (400, 404), (method, target, r.status_code)
        if method != "HEAD":
            assert r.json()["error_code"] in ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST")
    r = served.http.put(f"/api/v1/blobs?sha256={BAD_SHAS[sha]}", content=b"x")
    assert r.status_code == 400 and r.json()["field"] == "sha256"
    assert outside_state(secrets) == before


@pytest.mark.parametrize("name", ["../secret.txt", "../../../secret.txt", ELSEWHERE])
def test_only_a_listed_temporary_can_be_removed(served, secrets, name):
    before = outside_state(secrets)
    name = name.replace(ELSEWHERE, str(secrets["elsewhere"]))
    r = served.http.delete("/api/v1/blobs", params={"temporary": name})
    assert r.status_code == 404 and r.json()["field"] == "temporary"
    assert outside_state(secrets) == before


def test_a_blob_is_kept_only_under_its_own_digest(served, secrets):
    r = served.http.put("/api/v1/blobs", params={"sha256": "0" * 64}, content=SECRET)
    assert r.status_code == 400 and r.json()["error_code"] == "DATA_LOSS"
    assert served.http.get("/api/v1/blobs").json() == []
    stored = served.http.put("/api/v1/blobs", content=SECRET).json()
    assert served.http.get(f"/api/v1/blobs/{stored['sha256']}").content == SECRET
