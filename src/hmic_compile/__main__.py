"""`python -m hmic_compile` runs the command line."""

from .cli import run

run()
