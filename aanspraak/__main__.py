"""``python -m aanspraak``: the same command line as the ``aanspraak`` script."""

from aanspraak.cli import main

main()
