"""Content-addressed, verified storage for every file mlyard keeps.

Example:
    >>> import tempfile
    >>> blobs = open_blob_store(tempfile.mkdtemp())
    >>> blobs.read_bytes(blobs.put_bytes(b"x")[0])
    b'x'
"""

from mlyard.artifacts._base import BlobStore, StoredBlob
from mlyard.artifacts.fsspec import FsspecBlobStore
from mlyard.artifacts.hashing import sha256_bytes, sha256_file


def open_blob_store(url: str) -> BlobStore:
    """The blob store at ``url``: a folder or any fsspec URL (``s3://bucket/prefix``)."""
    return FsspecBlobStore(url)


__all__ = [
    "BlobStore",
    "FsspecBlobStore",
    "StoredBlob",
    "open_blob_store",
    "sha256_bytes",
    "sha256_file",
]
