"""The review airlock: the queue of results waiting for the provider's reviewers, their
decisions, and the release of approved results to their owners (:mod:`.service`,
:mod:`.downloads`).
"""
