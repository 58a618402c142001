"""Reinforcement learning: a reward has no train/validation generalization to overfit.

A run whose objective is a reward or return (`headline.is_reinforcement`)
learns from its own episodes: its "train" side (``rollout/ep_rew_mean``) and
its evaluation side (``eval/mean_reward``) are the same policy measured twice,
not a fit to data and a held-out check. So it is never `overfitting`: when
the reward falls materially below its best and stays there (the onset rule),
the status is `worsening`, a **reward collapse** (`explain_collapse`). Its
losses (TD, value, policy) are diagnostics: a spike there is not divergence
(`curves.analyze_metric(reinforcement=True)` skips the exploding-loss rule).
"""

from __future__ import annotations

from tb_overfit_plugin.analysis import status as status_rule

COLLAPSE = "worsening"
"""The status of a reinforcement-learning run whose reward collapsed."""
COLLAPSED = ("overfitting", "worsening")
"""Statuses that mean, for a reward, that it collapsed (an onset was found)."""


def explain_collapse(evidence: status_rule.Evidence) -> str:
    """ "Reward collapse: validation mean_reward was best at ...; ..." (the onset rule's sentence)."""
    return (
        f"Reward collapse: {status_rule._worse_since(evidence)}. A reinforcement-learning run does not "
        f"overfit in the train/validation sense; its policy got worse."
    )
