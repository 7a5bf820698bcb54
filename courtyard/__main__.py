"""`python -m courtyard` is the `courtyard` command."""

from courtyard.cli import main

main()
