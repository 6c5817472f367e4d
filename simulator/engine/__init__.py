"""The market simulation: one replication of one arm, from a validated scenario.

It reads :mod:`simulator.config` and never imports the experiments, the charts,
the reports or the CLI.
"""
