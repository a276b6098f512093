"""Operations: the request id a log line and a job carry, structured logs, and metrics.

- :mod:`.context`: the request id (and job id) of what this thread is doing now, set by the
  HTTP layer for a request and by the job runner for a job; every log line carries them.
- :mod:`.logs`: the JSON (or text) log format, chosen by ``SANDBOX_LOG_FORMAT``.
- :mod:`.metrics`: the Prometheus counters and histograms, counted where the events happen
  (the ledger, the sandbox runner, the job lifecycle); :mod:`.events` carries what a Ray
  task counted back to the server that scrapes them.

Nothing here knows HTTP or the database's tables: the domain calls in, the API serves
``/metrics`` (the scrape-time gauges over the job table live in :mod:`sandbox.jobs.metrics`).
"""
