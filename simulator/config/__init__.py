"""Scenario files: their schema, the credit policies they name, and how they load.

The lowest layer: it imports nothing else of connectsim but the catalogue and
the errors.
"""
