"""``python -m imgperms_async``: the same command as ``imgperms``."""

from imgperms_async.cli import main

main()
