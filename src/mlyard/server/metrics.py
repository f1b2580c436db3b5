"""Prometheus metrics of the server, kept per process: requests, latency, errors.

Counted by route template (``/api/v1/runs/{run_id}``), so ids do not explode the
number of series. Rendered in the Prometheus text format at ``/metrics``.

Example:
    >>> m = Metrics()
    >>> m.observe("GET", "/health", 200, 0.002)
    >>> 'mlyard_requests_total{method="GET",route="/health",status="200"} 1' in m.render()
    True
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import defaultdict

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self._errors: dict[tuple[str, str], int] = defaultdict(int)
        self._buckets: dict[str, list[int]] = {}
        self._sums: dict[str, float] = defaultdict(float)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self._requests[(method, route, str(status))] += 1
            if status >= 400:
                kind = "server" if status >= 500 else "client"
                self._errors[(route, kind)] += 1
            counts = self._buckets.setdefault(route, [0] * (len(BUCKETS) + 1))
            counts[bisect_left(BUCKETS, seconds)] += 1
            self._sums[route] += seconds

    def render(self) -> str:
        with self._lock:
            lines = [
                "# HELP mlyard_requests_total Requests answered, by method, route and status.",
                "# TYPE mlyard_requests_total counter",
            ]
            for (method, route, status), n in sorted(self._requests.items()):
                lines.append(
                    f'mlyard_requests_total{{method="{method}",route="{route}",'
                    f'status="{status}"}} {n}'
                )
            lines += [
                "# HELP mlyard_request_errors_total Requests answered 4xx (client) or 5xx.",
                "# TYPE mlyard_request_errors_total counter",
            ]
            for (route, kind), n in sorted(self._errors.items()):
                lines.append(f'mlyard_request_errors_total{{route="{route}",kind="{kind}"}} {n}')
            lines += [
                "# HELP mlyard_request_seconds Time to answer, by route.",
                "# TYPE mlyard_request_seconds histogram",
            ]
            for route, counts in sorted(self._buckets.items()):
                total = 0
                for bound, n in zip((*BUCKETS, "+Inf"), counts, strict=True):
                    total += n
                    lines.append(
                        f'mlyard_request_seconds_bucket{{route="{route}",le="{bound}"}} {total}'
                    )
                lines.append(
                    f'mlyard_request_seconds_sum{{route="{route}"}} {self._sums[route]:.6f}'
                )
                lines.append(f'mlyard_request_seconds_count{{route="{route}"}} {total}')
        return "\n".join(lines) + "\n"
