"""A synthetic town (`flask demo town`): a fictional population simulated month by month,
submitted through the real forms and intake, with the mess of real registers mixed in and the
ground truth written down, so reports, duplicate finding and speed can be checked against
something known."""
