"""What the bridge counts for Prometheus: the counters the edges and workers add to as events
happen (``counters``), and the ``/metrics`` page that adds the queue's gauges at scrape time
(``endpoint``). Leaf modules: they import only the Prometheus client, so any layer may count."""
