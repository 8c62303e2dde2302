"""hmic: compile police inspection reports from YAML criteria and evidence."""

__version__ = "0.1.0"
