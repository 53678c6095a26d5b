"""A local, Sim-compatible server (starlette + uvicorn) with demo workflows and fault knobs.

It follows ``shared/sim-api/CONTRACT.md``: the legacy ``/api/workflows/...`` surface, the
``/api/v2/...`` surface, the ungated ``/api/v1/workflows`` and ``/api/v1/logs``, the SSE stream
format, rate limits and error envelopes. ``simdesk --demo``,
the tests and the benchmarks run against it over real loopback sockets.
"""
