"""The fewest subjects each analysis needs, shared by the analysis stage (which skips a step below them)
and the report (which flags a run below them)."""

MIN_SUBJECTS_PCA = 5
MIN_SUBJECTS_CFA = 10
# Half of the subjects build the system, the other half test it in a CFA.
MIN_SUBJECTS_HELDOUT_CFA = 2 * MIN_SUBJECTS_CFA
