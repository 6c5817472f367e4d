"""Fixtures of the CLI tests: ``run_main`` is in the root conftest, shared by every tier."""
