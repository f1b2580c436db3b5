"""How things cross a process boundary: one codec for records, one table for errors.

The scoring app uses both today; the team server and its REST client use them next.
"""

from mlyard.wire.codec import decode, dump, encode, load
from mlyard.wire.errors import ERRORS, error_body, error_from_body, http_status

__all__ = [
    "ERRORS",
    "decode",
    "dump",
    "encode",
    "error_body",
    "error_from_body",
    "http_status",
    "load",
]
