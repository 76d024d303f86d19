#!/usr/bin/python3
"""Runs /usr/bin/virtnbdbackup unchanged, for bench/vm/run.sh, with two additions to its log:
every line starts with the epoch time in milliseconds ("%(created).3f"; its own timestamps have
one-second resolution), and a line "bench: freeze sent" is logged right before its
guest-fsfreeze-freeze call. Its own lines "Freezed [N] filesystems." and "Thawed [N] filesystems."
follow the freeze and thaw calls' return, so "freeze sent" -> "Thawed" is the same span as
Stillpoint's freezeWindowMs (freeze sent -> thaw returned)."""
import logging
import runpy
import sys

from libvirtnbdbackup.common import common
import libvirtnbdbackup.virt.client  # noqa: F401 (loads the module)

client = sys.modules["libvirtnbdbackup.virt.client"]
common.logFormat = "%(created).3f " + common.logFormat
_freeze = client.client.fsFreeze


def _timed_freeze(domObj, mountpoints):
    logging.getLogger("bench").info("bench: freeze sent")
    return _freeze(domObj, mountpoints)


client.client.fsFreeze = staticmethod(_timed_freeze)
sys.argv = ["/usr/bin/virtnbdbackup"] + sys.argv[1:]
runpy.run_path("/usr/bin/virtnbdbackup", run_name="__main__")
