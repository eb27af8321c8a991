"""Model server following SageMaker's serving container contract: ``python -m mlops_algorithms.serve serve``.

Modules: ``codecs`` (request bodies -> feature matrix, predictions -> response bodies, content
negotiation), ``scoring`` (the per-request predict call), ``app`` (the raw ASGI application) and
``server`` (settings from the environment, model loading, uvicorn, exit codes).  Kept free of
imports here so ``__main__`` can pin thread counts before numpy is loaded.
"""
