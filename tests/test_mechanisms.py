"""Known-answer tests of the mechanism rules, called on small populations."""

from __future__ import annotations

import numpy as np
import pytest

from lcsim.mechanisms import engagement, interventions, membership, trust
from lcsim.mechanisms import organisational_learning as march
from lcsim.mechanisms.facilitation import Params as FacilitationParams
from lcsim.mechanisms.facilitation import governance_efficiency
from lcsim.mechanisms.knowledge_exchange import Params as ExchangeParams
from lcsim.mechanisms.knowledge_exchange import (
    exchange,
    learning_effectiveness,
    understanding,
)
from lcsim.model.knowledge import (
    absorb,
    act,
    cognitive_distance,
    knowledge_level,
    share_known,
)
from lcsim.model.population import community_sizes, draw_staff


@pytest.mark.parametrize("optimum", [0.2, 0.35, 0.5, 0.8])
def test_learning_across_distance_peaks_at_the_configured_optimum(optimum):
    distance = np.linspace(0.0, 1.0, 100_001)
    effect = learning_effectiveness(distance, optimum)
    assert distance[np.argmax(effect)] == pytest.approx(optimum, abs=1e-5)
    assert effect.max() == pytest.approx(1.0)
    assert learning_effectiveness(0.0, optimum) == 0.0
    if 2 * optimum <= 1.0:
        assert learning_effectiveness(2 * optimum, optimum) == pytest.approx(0.0)


def test_learning_across_distance_is_nooteboom_quadratic():
    # u(d) = a d - b d^2 with a = 2 / d*, b = 1 / d*^2 (optimum a / 2b = d*).
    optimum = 0.4
    a, b = 2 / optimum, 1 / optimum**2
    d = np.linspace(0, 2 * optimum, 50)
    assert np.allclose(learning_effectiveness(d, optimum), a * d - b * d**2)


def test_boundary_objects_move_the_peak_to_larger_distances():
    distance = np.linspace(0.0, 1.0, 10_001)
    plain = distance[np.argmax(learning_effectiveness(distance, 0.4))]
    bridged = distance[np.argmax(learning_effectiveness(distance, 0.4, 0.1))]
    assert bridged > plain
    # With a reduction beta the peak of (d/d*)(2 - (d - beta)/d*) is at d* + beta/2.
    assert bridged == pytest.approx(0.45, abs=1e-3)


def test_granovetter_chain_of_thresholds_all_act():
    acting = engagement.threshold_equilibrium(np.arange(100))
    assert acting.sum() == 100


def test_granovetter_chain_broken_by_one_threshold_stops_at_one():
    thresholds = np.arange(100)
    thresholds[1] = 2
    acting = engagement.threshold_equilibrium(thresholds)
    assert acting.sum() == 1
    assert acting[0]


def test_knowledge_level_holds_march_beliefs_and_graded_levels():
    reality = np.array([1.0, -1.0, 1.0, -1.0])
    march_beliefs = np.array([[1.0, -1.0, 0.0, 1.0]])
    assert knowledge_level(march_beliefs, reality)[0] == pytest.approx((1 + 1 + 0.5 + 0) / 4)
    assert share_known(march_beliefs, reality)[0] == 0.5
    # A Cowan-Jonard level x is the belief 2x - 1 against a reality of +1.
    levels = np.array([[0.2, 0.7, 1.0]])
    assert knowledge_level(2 * levels - 1, np.ones(3))[0] == pytest.approx(levels.mean())


def test_actions_follow_beliefs_and_blank_beliefs_flip_a_fair_coin():
    rng = np.random.default_rng(1)
    beliefs = np.zeros((20_000, 3))
    beliefs[:, 0], beliefs[:, 1] = 1.0, -1.0
    actions = act(beliefs, rng)
    assert set(np.unique(actions)) == {-1.0, 1.0}
    assert (actions[:, 0] == 1).all() and (actions[:, 1] == -1).all()
    assert actions[:, 2].mean() == pytest.approx(0.0, abs=0.03)


def test_socialisation_moves_one_step_towards_the_code():
    rng = np.random.default_rng(0)
    beliefs = np.array([[-1.0, 0.0, 1.0, -1.0]])
    codes = np.array([[1.0, 1.0, 1.0, 0.0]])
    march.socialise(beliefs, codes, 1.0, rng)
    assert beliefs.tolist() == [[0.0, 1.0, 1.0, -1.0]]  # no move where the code is 0
    march.socialise(beliefs, codes, 1.0, rng)
    assert beliefs.tolist() == [[1.0, 1.0, 1.0, -1.0]]
    frozen = beliefs.copy()
    march.socialise(beliefs, -codes, 0.0, rng)
    assert np.array_equal(beliefs, frozen)


def test_code_learns_the_majority_of_superior_individuals():
    rng = np.random.default_rng(0)
    reality = np.array([1.0, 1.0, 1.0])
    codes = np.zeros((1, 3))
    # Three individuals beat the code's score 0; the fourth scores -3 and is ignored.
    actions = np.array([[1.0, 1.0, -1.0], [1.0, 1.0, 1.0], [1.0, -1.0, 1.0], [-1, -1, -1]])
    march.learn_code(codes, actions, np.zeros(4, dtype=int), reality, 1.0, rng)
    assert codes.tolist() == [[1.0, 1.0, 1.0]]


def test_code_learning_probability_grows_with_the_majority_margin():
    rng = np.random.default_rng(3)
    p2, k = 0.3, 3
    reality = np.ones(1)
    codes = np.zeros((20_000, 1))
    owners = np.repeat(np.arange(20_000), k)
    actions = np.ones((20_000 * k, 1))
    march.learn_code(codes, actions, owners, reality, p2, rng)
    expected = 1 - (1 - p2) ** k
    assert codes.mean() == pytest.approx(expected, abs=0.015)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mutual_learning_is_socialise_act_and_learn_code_in_turn(seed):
    # The model's compiled month must give exactly what the documented rules
    # give one after another, draw for draw, so docking the rules docks it.
    setup = np.random.default_rng(seed)
    m, n_orgs = 7, 5
    beliefs = setup.integers(-1, 2, size=(60, m)).astype(float)
    graded = setup.random(beliefs.shape) < 0.2
    beliefs[graded] = setup.uniform(-1, 1, graded.sum())
    codes = setup.integers(-1, 2, size=(n_orgs, m)).astype(float)
    reality = setup.choice([-1.0, 1.0], size=m)
    staff = np.sort(setup.choice(60, size=45, replace=False))  # some rows absent
    owners = np.sort(setup.integers(0, n_orgs, size=staff.size))

    ruled, ruled_codes, rng = beliefs.copy(), codes.copy(), np.random.default_rng(seed)
    gathered, employee_codes = ruled[staff], ruled_codes[owners]
    moved_rows, moved_dims = march.socialise(gathered, employee_codes, 0.4, rng)
    actions = act(ruled[staff], rng)
    march.learn_code(ruled_codes, actions, owners, reality, 0.6, rng)
    ruled[staff[moved_rows], moved_dims] = gathered[moved_rows, moved_dims]

    fused, fused_codes, fused_rng = beliefs.copy(), codes.copy(), np.random.default_rng(seed)
    march.mutual_learning(fused, staff, owners, fused_codes, reality, 0.4, 0.6, fused_rng)
    assert moved_rows.size > 0 and not np.array_equal(ruled_codes, codes)
    assert np.array_equal(fused, ruled)
    assert np.array_equal(fused_codes, ruled_codes)
    assert fused_rng.random() == rng.random()  # the same number of draws


def test_turnover_and_turbulence_rates():
    rng = np.random.default_rng(5)
    beliefs = np.full((50_000, 2), 7.0)
    replaced = march.replace_staff(beliefs, 0.1, rng)
    assert replaced.size / 50_000 == pytest.approx(0.1, abs=0.005)
    assert set(np.unique(beliefs[replaced])) <= {-1.0, 0.0, 1.0}
    reality = np.ones(50_000)
    march.drift_frontier(reality, 0.02, rng)
    assert (reality == -1).mean() == pytest.approx(0.02, abs=0.002)


def test_absorb_learns_only_where_the_source_knows_more():
    reality = np.array([1.0, 1.0, -1.0])
    receiver = np.array([[0.0, 1.0, 0.0]])
    source = np.array([[1.0, -1.0, 1.0]])
    delta = absorb(receiver, source, reality, 0.5)
    assert delta.tolist() == [[0.5, 0.0, 0.0]]
    assert absorb(receiver, source, reality, 1.0)[0, 0] == 1.0


def test_understanding_falls_linearly_and_learning_peaks_at_the_optimum():
    # Understandability 1 - d / 2d*; the gap on offer grows as d, so learning
    # d (1 - d / 2d*) peaks at d* (Nooteboom et al. 2007).
    distance = np.linspace(0.0, 1.0, 100_001)
    share = understanding(distance, 0.35)
    assert share[0] == 1.0 and understanding(0.7, 0.35) == pytest.approx(0.0)
    assert np.allclose(np.diff(share[distance < 0.7]), -(distance[1] / 0.7))
    assert distance[np.argmax(distance * share)] == pytest.approx(0.35, abs=1e-5)
    assert np.allclose(learning_effectiveness(distance, 0.35),
                       2 * distance / 0.35 * share)


def test_exchange_gain_scales_with_trust_and_contribution():
    params = ExchangeParams(absorption=0.3, optimal_distance=0.5, absorptive_base=0.3)
    reality = np.ones(4)
    beliefs = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]] * 2)
    gains = exchange(beliefs, np.array([0, 2]), beliefs[[1, 3]].copy(), reality,
                     np.array([1.0, 0.5]), np.array([0.5, 0.5]), params)
    # distance 0.5 = optimum, where understanding is 1 - 0.5 / (2 x 0.5) = 0.5;
    # capacity 0.3 + 0.7 * 0.5 = 0.65; gap 1 per dimension.
    full = 0.3 * 0.5 * 0.65
    assert gains[0] == pytest.approx(0.5 * full)
    assert gains[1] == pytest.approx(0.5 * gains[0])
    assert beliefs[0, 0] == pytest.approx(full)
    assert cognitive_distance(beliefs[1], beliefs[3]) == 0.0


def test_trust_is_gained_slowly_and_lost_fast():
    p = trust.Params()
    start = np.array([0.5])
    after_bad = trust.update_trust(start, np.array([0]), np.array([1]), p.gain, p.loss)
    assert after_bad[0] == pytest.approx(0.35)
    level = after_bad
    goods = 0
    while level[0] < 0.5 - 1e-12:
        level = trust.update_trust(level, np.array([1]), np.array([0]), p.gain, p.loss)
        goods += 1
    assert goods == 3
    assert trust.update_trust(np.array([0.98]), np.array([1]), np.array([0]), 0.05, 0.15)[0] == 1
    assert trust.update_trust(np.array([0.1]), np.array([0]), np.array([1]), 0.05, 0.15)[0] == 0


def test_contributions_by_member_type():
    types = np.array([engagement.CONDITIONAL, engagement.FREE_RIDER, engagement.HUMP_SHAPED,
                      engagement.HUMP_SHAPED, engagement.UNCONDITIONAL])
    others = np.array([0.5, 0.9, 0.3, 0.8, 0.1])
    commitment = np.full(5, 1.0)
    given = engagement.contributions(types, others, commitment, np.full(5, 0.42), 0.8)
    assert given.tolist() == pytest.approx([0.8 * 0.5 + 0.2, 0.0, 0.3, 0.2, 0.42])


def test_member_type_shares_follow_fischbacher_gachter_fehr():
    p = engagement.Params()
    kinds, thresholds, _ = engagement.draw_member_types(100_000, p, np.random.default_rng(2))
    shares = np.bincount(kinds, minlength=4) / kinds.size
    assert shares[:3] == pytest.approx([0.50, 0.33, 0.14], abs=0.005)
    assert thresholds.min() >= 0 and thresholds.max() <= 1
    assert np.median(thresholds) == pytest.approx(0.3, abs=0.01)


def test_leaving_needs_a_negative_mean_over_the_whole_patience_window():
    history = np.array([[5.0, -1, -1, -1], [0.0, -1, -1, -1], [-1, -1, -1, -1]])
    months = np.array([10, 10, 2])
    assert membership.leaving_decision(history, months, 3).tolist() == [True, True, False]
    assert membership.leaving_decision(history, months, 4).tolist() == [False, True, False]


def test_most_central_members_by_degree_with_stable_ties():
    degree = np.array([5, 9, 9, 1, 7])
    chosen = interventions.most_central(degree, np.array([0, 1, 2, 3, 4]), 3)
    assert chosen.tolist() == [1, 2, 4]


def test_governance_modes_suit_different_sizes():
    p = FacilitationParams()
    sizes = np.array([10, 40, 200])
    shared = governance_efficiency("shared", sizes, p)
    lead = governance_efficiency("lead_organisation", sizes, p)
    nao = governance_efficiency("network_administrative_organisation", sizes, p)
    assert shared[0] == 1.0 and shared[2] < lead[2] < nao[2]
    assert lead[1] == 1.0 and nao.tolist() == [0.8, 0.8, 0.8]


def test_clic_it_community_sizes_are_skewed_around_a_mean_of_35():
    sizes = community_sizes(525, 15, 1.2)
    assert sizes.sum() == 525 and sizes.min() >= 1
    assert sizes.mean() == 35
    assert 180 <= sizes.max() <= 220  # one LC of about 200 companies
    assert np.median(sizes) < 25  # most are small
    assert community_sizes(30, 3, 0.0).tolist() == [10, 10, 10]


def test_staff_counts_stay_within_cbs_size_classes():
    rng = np.random.default_rng(0)
    classes = np.repeat([0, 1, 2], 5000)
    staff = draw_staff(classes, rng)
    for c, (low, high) in enumerate(((1, 9), (10, 49), (50, 249))):
        s = staff[classes == c]
        assert s.min() == low and s.max() == high


def test_institutions_serve_within_the_per_community_bounds():
    from lcsim.model.population import assign_institutions

    for seed in range(200):
        rng = np.random.default_rng(seed)
        n_comm, n_inst = int(rng.integers(1, 6)), int(rng.integers(1, 9))
        most = int(rng.integers(1, 5))
        if n_inst > n_comm * most:
            continue
        serves = assign_institutions(n_comm, n_inst, 1, most, rng)
        per_community = np.bincount(np.concatenate(serves), minlength=n_comm)
        assert all(len(s) >= 1 for s in serves)
        assert per_community.max() <= most and per_community.min() >= 1
