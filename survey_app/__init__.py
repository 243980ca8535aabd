"""Llais: a bilingual consultation survey.

Kept light on purpose: the ETL imports survey_app.definition and survey_app.storage
without pulling in the web stack, so the Flask app is only built on demand.
"""


def create_app(test_config=None):
    from .web import build_app

    return build_app(test_config)
