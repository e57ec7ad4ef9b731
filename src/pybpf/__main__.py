"""``python -m pybpf`` runs the command line."""

from .cli.main import main

main()
