"""Report: the view model of a force's report, rendered through Jinja to Markdown, HTML and PDF, and written atomically."""
