"""Reports: what became of the texts of a period, by team, sender, provider or country.

``data`` is what the store reads (``bridge/store/queries/reports.sql``), ``figures`` turns it
into rates and percentiles (pure), ``render`` writes a table, JSON or CSV, ``chart`` draws
the bar chart of the report email, ``mail`` writes that email and ``schedule`` sends it once a
period from one bridge of a cluster.
"""
