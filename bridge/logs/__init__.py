"""How the bridge's log lines are shaped: the ids of what is being worked on, carried in
context variables (``context``), and one JSON object per line for log collectors
(``json_lines``). What a line says is still up to its caller, who masks numbers and never
logs a text."""
