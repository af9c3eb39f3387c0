"""`python -m safeguard` runs the CLI."""

from safeguard.cli import main

main()
