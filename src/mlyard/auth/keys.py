"""Minting tokens and hashing them with the workspace's key.

A token is ``myd_`` plus 43 URL-safe characters (256 random bits). The store keeps only
``HMAC-SHA256(workspace key, token)``: a fast hash is the right one here, unlike for
passwords, because no one can guess 256 random bits however fast they hash; a slow
hash would only slow down every request. The key is a random secret created on the
first token and kept in the workspace metadata (the first writer wins, so every
server process of the workspace agrees on it); a token minted for one workspace
therefore hashes to nothing another workspace knows.

Example:
    >>> token = mint_token()
    >>> token.startswith(PREFIX), len(token)
    (True, 47)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import weakref

from mlyard.store import Store

PREFIX = "myd_"
MAX_TOKEN_LENGTH = 200  # what a request may send as a token; ours are 47 characters
SHOWN = 10  # characters of a token kept (as ``prefix``) to tell a user's tokens apart
_META_KEY = "auth_key"
SECRET_META = frozenset({_META_KEY})  # workspace metadata a server never serves
_KEYS: weakref.WeakKeyDictionary[Store, bytes] = weakref.WeakKeyDictionary()


def mint_token() -> str:
    """A new random token (not stored anywhere yet)."""
    return PREFIX + secrets.token_urlsafe(32)


def workspace_key(store: Store) -> bytes:
    """The workspace's hashing key, made now if it has none."""
    key = find_workspace_key(store)
    if key is None:
        key = _KEYS[store] = store.put_meta(_META_KEY, secrets.token_hex(32)).encode()
    return key


def find_workspace_key(store: Store) -> bytes | None:
    """The workspace's hashing key, or ``None`` before its first token (read once per
    store: a key never changes)."""
    key = _KEYS.get(store)
    if key is None:
        text = store.find_meta(_META_KEY)
        if text is None:
            return None
        key = _KEYS[store] = text.encode()
    return key


def hash_token(key: bytes, token: str) -> str:
    """The hex HMAC-SHA256 of ``token``: what the store keeps and looks tokens up by."""
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()
