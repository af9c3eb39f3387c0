"""Infrastructure at the edges: database, files, linking engine, rendering."""
