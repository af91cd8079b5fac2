"""What the quality loop announces (blinker), inside the writing transaction, after the flush:
a receiver's writes commit or roll back with it (as ``queueing/signals.py``)."""

from blinker import Namespace

_signals = Namespace()

#: a rating of 1 or 2 opened a rectification (sender: the ``Rectification``; ``now``)
rectification_opened = _signals.signal("rectification-opened")
#: a service-level limit was breached (sender: the new ``Breach``; ``center``, ``now``):
#: notifications tell the supervisor on duty, once per breach
breach_opened = _signals.signal("breach-opened")
