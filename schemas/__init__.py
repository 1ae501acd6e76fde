"""The hub's XML contract, shipped as package data: XSDs, ``catalog.xml``, code lists, examples.

This folder holds no code. It is a package so ``importlib.resources.files("schemas")``
finds it wherever the hub is installed (a wheel in any virtual environment, an editable
checkout); ``hub/intake/validate/catalog.py`` compiles the XSDs from here and
``hub/model/codelists.py`` reads ``data/``. The builders of ``examples/`` are
development tools and live in ``infra/schemas/``.
"""
