"""Splink and DuckDB (and Spark): the only code that imports them.

* ``features``  mentions from the database into Arrow/DuckDB, normalised in SQL
* ``model``     the domain Splink settings (and a generic one for comparison), training
* ``engine``    one linking session: train or load, predict (chunked), clusters, deltas
* ``realtime``  ``link_one``: one record against everyone, from a persisted feature store
* ``spark``     the same model on Spark for a region or the country
"""
