"""The risk model's features in plain words: what a practitioner reads beside a prediction,
next to the records behind each feature (``domain/risk/features.py`` defines the features).
"""

from __future__ import annotations

from collections.abc import Mapping

from safeguard.domain.risk.features import DASH_QUESTIONS

#: Plain words for each feature: shown beside a prediction with the records behind it.
PLAIN_WORDS: Mapping[str, str] = {
    "pair_last_year": "incidents between the pair in the year before",
    "pair_three_years": "incidents between the pair in the three years before",
    "log_months_since_last": "time since the pair's last incident",
    "first_incident": "first incident recorded between the pair",
    "suspect_violent": "violent offences recorded against the suspect",
    "suspect_sexual": "sexual offences recorded against the suspect",
    "suspect_other": "other offences recorded against the suspect",
    "suspect_other_victims": "suspect's domestic-abuse incidents with other victims",
    "pair_breaches": "breaches of an order between the pair",
    "prior_marac": "victim referred to MARAC before",
    "escalation": "more serious than any earlier incident of the pair",
    "victim_victimised": "victim's other victimisation",
    "victim_age": "victim's age",
    "suspect_age": "suspect's age",
    "separated": "victim and suspect separated",
    "injured": "victim injured in this incident",
    "serious_harm": "serious harm in this incident",
    "pair_years_before": "incidents between the pair one to three years before",
    "newly_separated": "victim and suspect separated within the last 90 days",
    "incident_severity": "how serious this incident was",
    "pair_prior_severity": "how serious the pair's earlier incidents were",
    "victim_da_last_year": "domestic-abuse incidents against the victim in the year before",
    "suspect_da_last_year": "domestic-abuse incidents by the suspect in the year before",
    "log_months_since_either": "time since the victim's or the suspect's last domestic abuse",
    "dash_form": "a DASH form completed",
    "dash_yes_count": "DASH questions answered yes",
    **{f"dash_{q}": f"DASH question {q[1:]} answered yes" for q in DASH_QUESTIONS},
    "last_90_days": "missing episodes in the 90 days before",
    "year_before": "missing episodes earlier in the year before",
    "log_days_since_last": "time since the last missing episode",
    "in_care": "child in care",
    "flagged": "exploitation flagged on this episode",
    "flagged_before": "episodes flagged for exploitation before",
    "no_interview_after_last": "no return interview after the last episode",
    "age": "child's age",
}
