"""Algorithm-model jobs: submission, the lifecycle, the trusted broker, running on Ray.

- :mod:`~sandbox.jobs.model`: states, transitions, the :class:`Job` view;
- :mod:`~sandbox.jobs.lifecycle`: the one way a state changes (persisted, audited);
- :mod:`~sandbox.jobs.submission`: every check made before a job is stored;
- :mod:`~sandbox.jobs.broker`: answers a DP job's calls through the query engine;
- :mod:`~sandbox.jobs.runner`: runs one job in its sandbox (inside a Ray task);
- :mod:`~sandbox.jobs.dispatcher`: hands queued jobs to Ray, watches them, recovers at start;
- :mod:`~sandbox.jobs.service`: what the API, client and CLI call.
"""
