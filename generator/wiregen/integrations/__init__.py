"""Adapters that run the pure core for other tools: the pre-commit hooks (through the
CLI), the hatchling build hook, and the incremental cache that makes both cheap when
nothing changed.

Modules here import nothing heavy at the top: a no-op run has to answer in a few
tens of milliseconds, before jinja2, the frontends or the validators are loaded.
"""
