"""`responses_deduplicated` as a view over the tables that already say everything about it.

The deduplicated responses are the clean ones minus those excluded at intake and
the duplicate copies removed, with campaign membership from `duplicate_groups`.
Publishing them as a view rather than a third copy of every response keeps the
figures consistent with `responses_clean` by construction, and saves writing a
million-row table on every refresh.
"""
from __future__ import annotations

NAME = "responses_deduplicated"
DEPENDS_ON = ("responses_clean", "duplicate_groups", "excluded_responses")

SELECT = """
SELECT c.*, campaign.group_id AS campaign_id, campaign.size AS campaign_size
FROM responses_clean AS c
LEFT JOIN (
    SELECT survey_id, response_id, group_id,
           COUNT(*) OVER (PARTITION BY survey_id, group_id) AS size
    FROM duplicate_groups WHERE rule = 'campaign'
) AS campaign ON campaign.survey_id = c.survey_id AND campaign.response_id = c.id
WHERE NOT EXISTS (SELECT 1 FROM duplicate_groups AS d
                  WHERE d.survey_id = c.survey_id AND d.response_id = c.id AND d.removed = 1)
  AND NOT EXISTS (SELECT 1 FROM excluded_responses AS e
                  WHERE e.survey_id = c.survey_id AND e.response_id = c.id)
"""

# Lookups the view (and its reconciliation check) make by response id; the duplicate groups' index
# covers every column they read, so neither touches the table itself.
INDEXES = {"responses_clean": ("survey_id", "id"),
           "duplicate_groups": ("survey_id", "response_id", "rule", "removed", "group_id"),
           "excluded_responses": ("survey_id", "response_id")}
