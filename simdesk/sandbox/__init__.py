"""A local, Sim-compatible server (starlette + uvicorn) with demo workflows and fault knobs.

It speaks the legacy ``/api/workflows/...`` surface, the ``/api/v2/...`` surface, the ungated
``/api/v1/workflows`` and ``/api/v1/logs``, the SSE stream format, rate limits and error envelopes.
Where the answers recorded from a real Sim v0.8.9 (``tests/fixtures/sim-0.8.9/``) say something,
the sandbox answers as they do, as Sim deployed with Redis does. ``simdesk --demo``,
the tests and the benchmarks run against it over real loopback sockets.
"""
