"""``python -m imgperms_async``: the same command as ``imgperms``."""

from imgperms_async._cli import main

main()
