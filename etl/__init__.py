"""Pure analysis functions: read -> clean -> dedupe -> aggregate.

Nothing here imports Flask or Dagster; dagster_project/ wires these into assets.
"""
