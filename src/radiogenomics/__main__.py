"""``python -m radiogenomics``: the command-line interface."""

from radiogenomics.cli import main

if __name__ == "__main__":  # worker processes are spawned: they import this module without running it
    main()
