"""The risk model's pure core: features of a person's linked history as of a moment
(``features``), the outcomes learnt (``targets``), probability bands (``bands``), the
activation gate (``gate``) and how a prediction explains itself (``explanation``).

Fitting, storing and scoring are at the edges: ``adapters/ml.py`` (scikit-learn),
``adapters/model_store.py`` (skops) and ``services/risk_model*.py``.
"""
