"""Bulk sends by attachment (issue 19): an author's CSV or XLSX file and a template, as texts.

Pure, in the order the wiring calls them (no I/O beyond the bytes given, no clock):

``table.read_table(data, max_rows=)`` -> ``Table`` (header, rows streamed with their lines);
``rows.plan_rows(table, template, default_region=)`` -> ``BulkPlan`` (texts, row errors,
duplicates), or the same a chunk at a time (``rows.plan_chunks``, which the bulk worker
reads from a child process as ``wire`` tuples); the wiring runs each of ``plan.rows``
through the outbound chain and calls
``plan.checked(outcomes)`` -> ``CheckedPlan``; ``preview.preview_text`` and
``preview.not_sent_csv`` write the preview and its attachment; after SEND,
``results.result_lines`` the per-row CSV and ``summary.summary_text`` the final email.
A file unusable as a whole is a ``BulkFileError`` whose ``reason`` the author reads.
"""
