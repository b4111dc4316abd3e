"""Extra SMTP listener processes (``smtp.processes``): one event loop per core for the SMTP
edge, all sharing the port and the store, the workers staying in the main process.

``sockets`` binds the port for each process, ``wakes`` carries the "work committed" bytes to
the main process, ``process`` is what each listener process runs, and ``pool`` starts,
restarts and stops them.
"""
