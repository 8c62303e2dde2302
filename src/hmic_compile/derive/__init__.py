"""Derive: grades from judgements and national distributions from results. Pure: no I/O, no clock, no environment."""
