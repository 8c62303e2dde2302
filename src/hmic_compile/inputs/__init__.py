"""Inputs: the project's YAML files read strictly, typed by the models, with every value's location."""
