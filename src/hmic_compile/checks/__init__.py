"""Checks: what the schema alone cannot see, across files — cross-references, judgements, national results, the glossary."""
