"""Tools for the git workflow around the pipeline: schemas, scaffolding, semantic diff and the live preview."""
