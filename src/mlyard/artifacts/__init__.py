"""Content-addressed, verified storage for every file mlyard keeps."""

from mlyard.artifacts.blobs import BlobStore
from mlyard.artifacts.hashing import sha256_bytes, sha256_file

__all__ = ["BlobStore", "sha256_bytes", "sha256_file"]
