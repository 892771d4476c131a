"""``loopml demo``: the closed loop end to end on a synthetic stream with a known drift."""
