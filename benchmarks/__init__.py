"""Benchmark harness: Pretenders against pretenders 1.4.5 and bare reference servers.

Run ``python -m benchmarks`` from the repository root; see ``benchmarks/README.md``.
"""
