"""Board report rendering: Vega-Lite charts (Altair) rendered offline to SVG, Jinja2 HTML, PDF."""
