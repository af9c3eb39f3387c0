"""Reading and validating interchange files (CSV, JSON Lines, Parquet) with pyarrow."""
