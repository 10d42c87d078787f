"""`python -m imgperms_async.emulator`: the same command as `imgperms emulator`."""

from ._command import emulator

emulator.main(prog_name="python -m imgperms_async.emulator")
