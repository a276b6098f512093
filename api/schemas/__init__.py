"""Request and response schemas of the HTTP API, one module per resource.

:mod:`api.schemas.common` holds what they share: the strict request base, the response base
that reads domain objects by attribute, enum fields for request bodies and the id bounds.
"""
