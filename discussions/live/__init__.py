"""Live discussion updates: a per-process fan-out to the open discussion sockets.

One module per concern; import from the module that owns a name (nothing is
re-exported here):

- ``transport``: how an event travels to every process (in-process, or Redis
  pub/sub) and its per-discussion sequence number.
- ``admission``: who may hold a socket and as which audience (the one visibility
  rule, the session check, the socket caps, the close codes).
- ``frames``: what an event becomes for each audience, rendered once per audience.
- ``sockets``: writing a frame to one socket without waiting (the only module that
  touches daphne/Twisted/autobahn internals).
- ``presence``: how many are reading, across processes.
- ``sweeps``: re-checking open sockets after access events and on the heartbeat.
- ``timing``: the live threads, the clocks, and the timing log.
- ``hub``: this process's registry of sockets and its ordered event worker, which
  ties the others together.
"""
