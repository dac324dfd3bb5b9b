"""Validate a value evaluator against human judgments (issue 16): the Value Portrait survey's
item–value correlations are the ground truth; ``metrics`` is pure statistics, ``runner`` calls the
evaluator and the embedding baselines, ``report`` writes and compares result directories."""
