"""Split-point rule and grouping of the shared-prefix path (pure functions, no model)."""

from __future__ import annotations

from gpla.models.prefix_scoring import ALIGN, MIN_SUFFIX, member_split, plan_groups, split_point


def prompt(shared: int, tail: list[int]) -> list[int]:
    return list(range(1, shared + 1)) + tail


def test_split_point_is_aligned_and_leaves_long_suffixes() -> None:
    cut = split_point(shared=59, lengths=[66, 70], max_batch=512)
    assert cut % ALIGN == 0 and cut <= 59 and 66 - cut >= MIN_SUFFIX
    assert cut == 56


def test_split_point_refuses_short_shares_and_overlong_prompts() -> None:
    assert split_point(shared=10, lengths=[40, 40], max_batch=512) == 0
    assert split_point(shared=60, lengths=[70, 600], max_batch=512) == 0


def test_groups_follow_sentences_not_the_task_text() -> None:
    # Two "sentences" share a 20-token task; each has three values sharing 50 tokens.
    task = list(range(100, 120))
    a = [task + [1] * 30 + [v, 7, 7, 7, 7, 7, 7, 7, 7] for v in (5, 6, 8)]
    b = [task + [2] * 30 + [v, 7, 7, 7, 7, 7, 7, 7, 7] for v in (5, 6, 8)]
    lone = [[9] * 30]
    groups = plan_groups(b + lone + a)
    shared = sorted((g.prefix_len, sorted(g.members)) for g in groups)
    assert shared == [(0, [3]), (48, [0, 1, 2]), (48, [4, 5, 6])]


def test_every_prompt_is_planned_once() -> None:
    tokens = [prompt(40, [i % 3, 1, 2, 3, 4, 5, 6, 7, 8]) for i in range(9)] + [[5, 5], [5, 6]]
    members = sorted(i for g in plan_groups(tokens) for i in g.members)
    assert members == list(range(len(tokens)))


def test_each_member_is_cut_at_its_own_aligned_point() -> None:
    # A 54-token shared prefix: short prompts must cut earlier to keep MIN_SUFFIX tokens.
    cuts = {length: member_split(54, length) for length in (59, 60, 61, 62, 63, 80)}
    assert cuts == {59: 48, 60: 52, 61: 52, 62: 52, 63: 52, 80: 52}
    assert all(length - cut >= MIN_SUFFIX and cut % ALIGN == 0 for length, cut in cuts.items())
    assert member_split(54, 10) == 0  # too short to split
