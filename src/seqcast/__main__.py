"""``python -m seqcast`` runs the CLI."""

from seqcast.cli import main

main()
