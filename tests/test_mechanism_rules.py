"""Known-answer and invariant tests of the rule functions the model calls.

Each test calls the function the model uses, on a small hand-built population
(exact answers) or on a large random sample (a stated n and tolerance). The
last part switches each mechanism on and off in a short run of the tiny
scenario and checks that its footprint appears only when it is on.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np
import pytest

from conftest import make_config
from lcsim import LearningCommunityModel
from lcsim.mechanisms import (
    digital_maturity,
    engagement,
    facilitation,
    institutions,
    joint_projects,
    membership,
    platform,
)
from lcsim.model.knowledge import random_beliefs, share_known


def u(distance: float, optimum: float) -> float:
    """Nooteboom's inverted U without boundary objects, written out by hand."""
    return (distance / optimum) * (2.0 - distance / optimum)


def tiny_model(*overrides: str, seed: int = 1) -> LearningCommunityModel:
    return LearningCommunityModel(make_config("scenario=tiny", *overrides), rng=seed)


def company_members(model: LearningCommunityModel, community: int) -> np.ndarray:
    members = model.members
    company = model.organisations["kind"][members["org"]] == 0
    return np.flatnonzero(company & members["active"] & (members["community"] == community))


# --------------------------------------------------------------- joint projects


def project_params(**changes) -> joint_projects.Params:
    return dataclasses.replace(joint_projects.Params(), **changes)


def test_team_has_its_size_no_duplicates_and_the_initiator_first():
    rng = np.random.default_rng(0)
    incumbents = list(range(0, 10))
    newcomers = list(range(10, 30))
    collaborators = {0: {1, 2}, 1: {0, 3}, 12: {4}}
    params = project_params(team_size=5)
    for draw in range(500):
        initiator = draw % 30
        team = joint_projects.assemble_team(initiator, incumbents, newcomers,
                                            collaborators, params, rng)
        assert team[0] == initiator
        assert len(team) == 5
        assert len(set(team)) == 5
        assert set(team) <= set(range(30))


def test_team_is_short_when_candidates_run_out():
    rng = np.random.default_rng(1)
    team = joint_projects.assemble_team(7, [3, 7], [9], {}, project_params(team_size=6), rng)
    assert team[0] == 7
    assert sorted(team) == [3, 7, 9]


def test_team_falls_back_to_the_other_group_when_one_is_used_up():
    rng = np.random.default_rng(2)
    params = project_params(team_size=5, incumbent_share=1.0, repeat_share=0.0)
    team = joint_projects.assemble_team(1, [1, 2], list(range(10, 20)), {}, params, rng)
    assert team[:2] == [1, 2]  # the only other incumbent comes first
    assert len(team) == 5 and all(10 <= t < 20 for t in team[2:])
    params = project_params(team_size=4, incumbent_share=0.0)
    team = joint_projects.assemble_team(15, list(range(10)), [15, 16], {}, params, rng)
    assert team[:2] == [15, 16] and all(t < 10 for t in team[2:])


@pytest.mark.parametrize("p, q", [(0.6, 0.0), (0.6, 0.4), (0.25, 1.0)])
def test_incumbent_share_of_slots_converges_to_p(p, q):
    # n = 4000 teams x 3 slots after the initiator; binomial SD <= 0.005.
    rng = np.random.default_rng(11)
    incumbents = list(range(1000))
    newcomers = list(range(1000, 2000))
    collaborators = {i: {(i + 1) % 1000, (i + 7) % 1000} for i in range(1000)}
    params = project_params(team_size=4, incumbent_share=p, repeat_share=q)
    slots = []
    for _ in range(4000):
        initiator = int(rng.integers(2000))
        team = joint_projects.assemble_team(initiator, incumbents, newcomers,
                                            collaborators, params, rng)
        slots.extend(team[1:])
    share = np.mean(np.array(slots) < 1000)
    assert share == pytest.approx(p, abs=0.02)


def test_repeat_ties_follow_past_collaborators_when_q_is_one():
    rng = np.random.default_rng(3)
    incumbents = list(range(50))
    newcomers = list(range(50, 100))
    # A chain of collaborations 0 - 5 - 11 - 20; 60 is a newcomer and never a
    # repeat tie (repeat ties are incumbents).
    collaborators = {0: {5, 60}, 5: {0, 11}, 11: {5, 20}, 20: {11}, 60: {0}}
    params = project_params(team_size=4, incumbent_share=1.0, repeat_share=1.0)
    for _ in range(50):
        team = joint_projects.assemble_team(0, incumbents, newcomers, collaborators,
                                            params, rng)
        assert team == [0, 5, 11, 20]


def test_repeat_tie_is_uniform_among_past_collaborators():
    # n = 6000 teams of two; each of three collaborators expected 1/3 (SD 0.006).
    rng = np.random.default_rng(4)
    params = project_params(team_size=2, incumbent_share=1.0, repeat_share=1.0)
    picked = [
        joint_projects.assemble_team(0, list(range(40)), [], {0: {5, 7, 9}}, params, rng)[1]
        for _ in range(6000)
    ]
    counts = np.array([picked.count(k) for k in (5, 7, 9)]) / 6000
    assert sum(counts) == 1.0
    assert counts == pytest.approx([1 / 3] * 3, abs=0.02)


def test_without_past_collaborators_q_one_still_draws_incumbents():
    rng = np.random.default_rng(5)
    params = project_params(team_size=4, incumbent_share=1.0, repeat_share=1.0)
    for _ in range(200):
        team = joint_projects.assemble_team(0, list(range(20)), list(range(20, 40)), {},
                                            params, rng)
        assert all(t < 20 for t in team)


def test_success_chance_is_quality_times_inverted_u_of_diversity():
    # Three members on m = 4; the frontier has both signs.
    reality = np.array([1.0, -1.0, 1.0, -1.0])
    codes = np.array([
        [1.0, 1.0, 0.0, 0.0],
        [1.0, 0.0, 1.0, 0.0],
        [0.0, 0.0, 0.0, -1.0],
    ]) * reality
    # Best level per dimension: 1, 1, 1, 0.5 -> quality 7/8. Distances:
    # A-B 0.25, A-C 0.375, B-C 0.375 -> diversity 1/3.
    expected = 7 / 8 * u(1 / 3, 0.4)
    assert expected == pytest.approx(0.8506944, abs=1e-6)
    chance = joint_projects.success_probability(codes, reality, 0.4)
    assert chance == pytest.approx(expected, rel=1e-12)
    two = joint_projects.success_probability(codes[:2], reality, 0.4)
    # Levels of A and B: best 1, 1, 1, 0.5; their distance 0.25.
    assert two == pytest.approx(7 / 8 * u(0.25, 0.4), rel=1e-12)


def test_success_chances_of_padded_teams_ignore_empty_places():
    reality = np.ones(4)
    rng = np.random.default_rng(6)
    team_codes = rng.integers(-1, 2, size=(3, 5, 4)).astype(float)
    sizes = np.array([2, 5, 3])
    on_team = np.arange(5) < sizes[:, None]
    chances = joint_projects.success_chances(team_codes, on_team, reality, 0.4)
    for k, size in enumerate(sizes):
        alone = joint_projects.success_probability(team_codes[k, :size], reality, 0.4)
        assert chances[k] == pytest.approx(alone, rel=1e-12)


def test_a_team_without_diversity_never_succeeds():
    reality = np.array([1.0, 1.0, -1.0])
    same = np.tile(reality, (4, 1))  # everyone knows everything, distance 0
    assert joint_projects.success_probability(same, reality, 0.4) == 0.0
    one = joint_projects.success_chances(reality[None, None, :], np.ones((1, 1), bool),
                                         reality, 0.4)
    assert one.tolist() == [0.0]


def test_success_chance_peaks_at_the_diversity_optimum():
    # Two members who both know nothing beyond opposite halves: quality fixed.
    reality = np.ones(20)
    a = np.zeros(20)
    chances = []
    for k in range(0, 21):
        b = np.zeros(20)
        b[:k] = -1.0  # distance k / 40, the best level stays 0.5 everywhere
        chances.append(joint_projects.success_probability(np.stack([a, b]), reality, 0.2))
    chances = np.array(chances)
    assert np.argmax(chances) == 8  # distance 8 / 40 = 0.2
    assert chances[8] == pytest.approx(0.5)
    assert chances[16] == pytest.approx(0.0)


def project_model() -> tuple[LearningCommunityModel, np.ndarray, np.ndarray]:
    """A tiny model with two companies of community 0 given hand-made codes."""
    model = tiny_model()
    r = model.reality
    a, b = company_members(model, 0)[:2]
    org = model.members["org"]
    codes = model.organisations["code"]
    codes[org[a]] = np.concatenate([r[:6], np.zeros(6)])
    codes[org[b]] = np.concatenate([-r[:3], np.zeros(3), np.zeros(6)])
    return model, np.array([a, b]), org[[a, b]]


def succeed_project(model, team, discovery: float) -> joint_projects.Project:
    p = dataclasses.replace(model.params.projects, discovery=discovery)
    project = joint_projects.Project(0, team, 0, 6)
    places = team[None, :]
    on_team = np.ones(places.shape, dtype=bool)
    team_codes = model.organisations["code"][model.members["org"][places]]
    joint_projects.succeed(model, [project], places, on_team, team_codes, p)
    return project


def test_success_teaches_team_learning_of_the_gap_to_the_team_best():
    model, team, orgs = project_model()
    r = model.reality
    learning = model.params.projects.team_learning
    value = model.params.projects.project_value
    project = succeed_project(model, team, discovery=0.0)
    codes = model.organisations["code"]
    assert np.array_equal(codes[orgs[0]], np.concatenate([r[:6], np.zeros(6)]))
    expected = np.concatenate([(-1 + 2 * learning) * r[:3], learning * r[3:6], np.zeros(6)])
    assert codes[orgs[1]] == pytest.approx(expected)
    assert not project.innovation
    # Member b's organisation gained learning x 9 / 2 / 12 in knowledge level.
    gained = learning * 9 / 24
    knowledge_value = model.params.engagement.knowledge_value
    assert model.members["value"][team].tolist() == pytest.approx(
        [value, value + knowledge_value * gained])
    assert model.successes_this_month[orgs].tolist() == [1, 1]
    assert model.ledger["projects_succeeded"].tolist() == [1, 0]
    assert model.ledger["innovations"].tolist() == [0, 0]


def test_success_with_certain_discovery_teaches_the_frontier_everywhere_unknown():
    model, team, orgs = project_model()
    r = model.reality
    learning = model.params.projects.team_learning
    project = succeed_project(model, team, discovery=1.0)
    codes = model.organisations["code"]
    # Dimensions 6-11 nobody knew: discovered, both adopt the frontier fully.
    assert np.array_equal(codes[orgs[0]], r)
    expected_b = np.concatenate([(-1 + 2 * learning) * r[:3], learning * r[3:6], r[6:]])
    assert codes[orgs[1]] == pytest.approx(expected_b)
    assert project.innovation
    assert model.ledger["innovations"].tolist() == [1, 0]


# ----------------------------------------------------------------- facilitation


def test_effort_goes_to_welcomes_then_a_boundary_object_then_ties():
    p = facilitation.Params()  # welcome 1, boundary object 2, broker 1
    budget = np.array([7.0, 1.5, 4.0, 5.0, 6.0, 2.99, 0.0])
    waiting = np.array([3, 3, 0, 10, 0, 0, 4])
    engaged = np.array([5, 5, 5, 5, 2, 9, 9])
    welcomes, boundary, brokers = facilitation.spend_effort(budget, waiting, engaged, p)
    assert welcomes.tolist() == [3, 1, 0, 5, 0, 0, 0]
    assert boundary.tolist() == [True, False, True, False, True, True, False]
    # Community 4 has too few engaged members to broker a tie.
    assert brokers.tolist() == [2, 0, 2, 0, 0, 0, 0]


def test_effort_with_other_costs():
    p = dataclasses.replace(facilitation.Params(), welcome_cost=0.5, boundary_cost=3.0,
                            broker_cost=0.25)
    welcomes, boundary, brokers = facilitation.spend_effort(
        np.array([4.0, 2.9]), np.array([2, 9]), np.array([10, 10]), p)
    # 4 - 2 x 0.5 = 3 -> boundary object, nothing left; 2.9 -> 5 welcomes, 0.4 -> 1 tie.
    assert welcomes.tolist() == [2, 5]
    assert boundary.tolist() == [True, False]
    assert brokers.tolist() == [0, 1]


def far_partners_reference(distance, segment, n_segments, draw):
    """Per segment: candidates at or above numpy's upper quartile, in their order."""
    picked = []
    for s in range(n_segments):
        inside = np.flatnonzero(segment == s)
        if inside.size == 0:
            picked.append(-1)
            continue
        quartile = np.quantile(distance[inside], 0.75)
        far = inside[distance[inside] >= quartile]
        picked.append(int(far[int(draw[s] * far.size)]))
    return picked


def test_far_partners_match_the_upper_quartile_reference():
    rng = np.random.default_rng(7)
    for _ in range(300):
        n_segments = int(rng.integers(1, 8))
        counts = rng.integers(0, 9, size=n_segments)
        segment = np.repeat(np.arange(n_segments), counts)
        # Multiples of 1/16, like distances of discrete codes, with many ties;
        # numpy's interpolated quartile is then exact.
        distance = rng.integers(0, 17, size=segment.size) / 16
        draw = rng.random(n_segments)
        picked = facilitation.far_partners(distance, segment, n_segments, draw)
        assert picked.tolist() == far_partners_reference(distance, segment, n_segments,
                                                         draw)


def test_far_partners_by_hand():
    distance = np.array([0.1, 0.9, 0.5, 0.7, 0.3, 0.2, 0.2, 0.2])
    segment = np.array([0, 0, 0, 0, 0, 2, 2, 2])
    # Segment 0: rank ceil(0.75 x 4) = 3 of [0.1, 0.3, 0.5, 0.7, 0.9] is 0.7, so
    # candidates 1 and 3 (in that order); segment 1 is empty; in segment 2 all tie.
    picked = facilitation.far_partners(distance, segment, 3, np.array([0.0, 0.5, 0.99]))
    assert picked.tolist() == [1, -1, 7]
    picked = facilitation.far_partners(distance, segment, 3, np.array([0.5, 0.5, 0.34]))
    assert picked.tolist() == [3, -1, 6]


def test_governance_efficiency_by_size():
    p = facilitation.Params()  # shared 12, lead organisation 40, NAO 0.8
    sizes = np.array([0, 6, 12, 24, 48, 80])
    shared = facilitation.governance_efficiency("shared", sizes, p)
    lead = facilitation.governance_efficiency("lead_organisation", sizes, p)
    nao = facilitation.governance_efficiency("network_administrative_organisation", sizes, p)
    assert shared.tolist() == pytest.approx([1, 1, 1, 0.5, 0.25, 0.15])
    assert lead.tolist() == pytest.approx([1, 1, 1, 1, 40 / 48, 0.5])
    assert nao.tolist() == [0.8] * 6


# ----------------------------------------------------------------- institutions


def test_whole_capacity_is_spent_in_full_where_there_is_demand():
    rng = np.random.default_rng(9)
    demand = np.array([[3, 1, 0, 2], [0, 0, 0, 0], [0, 5, 0, 0]])
    for _ in range(200):
        visits = institutions.allocate_visits(12.0, demand, rng)
        assert visits.sum(axis=1).tolist() == [12, 0, 12]
        assert (visits[demand == 0] == 0).all()
        assert visits[2, 1] == 12
    assert (institutions.allocate_visits(0.0, demand, rng) == 0).all()
    assert institutions.allocate_visits(5.0, np.zeros(3), rng).tolist() == [0, 0, 0]


def test_visits_split_in_proportion_to_demand():
    # n = 20,000 institutions with the same demand; SD of each mean <= 0.013.
    rng = np.random.default_rng(10)
    demand = np.tile([3.0, 1.0, 0.0, 2.0], (20_000, 1))
    visits = institutions.allocate_visits(12.0, demand, rng)
    assert visits.mean(axis=0) == pytest.approx([6.0, 2.0, 0.0, 4.0], abs=0.06)


def test_fractional_capacity_is_spent_on_average():
    # n = 20,000: 2 or 3 visits, 3 with probability 0.5; SD of the mean 0.004.
    rng = np.random.default_rng(12)
    visits = institutions.allocate_visits(2.5, np.tile([1.0, 1.0], (20_000, 1)), rng)
    totals = visits.sum(axis=1)
    assert set(np.unique(totals)) == {2, 3}
    assert totals.mean() == pytest.approx(2.5, abs=0.02)


def test_frontier_tracking_with_certainty_and_never():
    rng = np.random.default_rng(13)
    reality = np.array([1.0, -1.0, 1.0, -1.0, 1.0])
    codes = np.array([[0.0, 1.0, 1.0, -0.5, -1.0], [1.0, -1.0, 0.0, 0.0, 0.3]])
    frozen = codes.copy()
    institutions.track_frontier(codes, reality, 0.0, rng)
    assert np.array_equal(codes, frozen)
    institutions.track_frontier(codes, reality, 1.0, rng)
    assert np.array_equal(codes, np.tile(reality, (2, 1)))


def test_frontier_tracking_rate_on_outdated_dimensions_only():
    # n = 100,000 outdated dimensions; SD of the share 0.001.
    rng = np.random.default_rng(14)
    reality = np.ones(100)
    codes = np.zeros((2000, 100))
    codes[:1000] = 1.0  # already at the frontier
    institutions.track_frontier(codes, reality, 0.1, rng)
    assert (codes[:1000] == 1.0).all()
    assert set(np.unique(codes[1000:])) == {0.0, 1.0}
    assert codes[1000:].mean() == pytest.approx(0.1, abs=0.005)


def test_new_student_beliefs_match_the_frontier_at_the_accuracy():
    # n = 200,000 beliefs; SD of each share <= 0.0011.
    rng = np.random.default_rng(15)
    reality = np.where(np.arange(20) % 3 == 0, -1.0, 1.0)
    beliefs = random_beliefs(rng, (10_000, 20), reality, 0.6)
    agree = beliefs * reality
    assert (agree == 1).mean() == pytest.approx(0.6, abs=0.005)
    assert (agree == 0).mean() == pytest.approx(0.2, abs=0.005)
    assert (agree == -1).mean() == pytest.approx(0.2, abs=0.005)


def test_renewing_students_replaces_only_institution_staff():
    model = tiny_model()
    orgs = model.organisations
    insts = np.flatnonzero(orgs["kind"] == 1)
    staff_org = model.employees["org"]
    at_institution = orgs["kind"][staff_org] == 1
    assert at_institution.any()
    beliefs = model.employees["beliefs"]
    company_beliefs = beliefs[~at_institution].copy()
    student_beliefs = beliefs[at_institution].copy()

    none = institutions.Params(student_turnover=0.0, student_accuracy=1.0)
    institutions.renew_students(model, insts, none)
    assert np.array_equal(beliefs[at_institution], student_beliefs)
    everyone = institutions.Params(student_turnover=1.0, student_accuracy=1.0)
    institutions.renew_students(model, insts, everyone)
    assert (beliefs[at_institution] == model.reality).all()
    assert np.array_equal(beliefs[~at_institution], company_beliefs)
    never_right = institutions.Params(student_turnover=1.0, student_accuracy=0.0)
    institutions.renew_students(model, insts, never_right)
    assert set(np.unique(beliefs[at_institution] * model.reality)) <= {-1.0, 0.0}


# --------------------------------------------------------------------- platform


def test_codify_moves_a_share_towards_a_better_result():
    reality = np.array([1.0, 1.0, -1.0, 1.0, -1.0])
    content = np.array([0.0, 1.0, 1.0, 0.5, 0.0])
    result = np.array([1.0, 1.0, -1.0, -1.0, 0.0])
    codified = platform.codify(content, result, reality, 0.5)
    # Ahead on 0 and 2; equal on 1; behind on 3; equal on 4.
    assert codified.tolist() == [0.5, 1.0, 0.0, 0.5, 0.0]
    assert platform.codify(content, result, reality, 1.0).tolist() == [
        1.0, 1.0, -1.0, 0.5, 0.0]
    assert platform.codify(content, result, reality, 0.0).tolist() == content.tolist()


def test_codify_never_moves_away_from_the_frontier():
    rng = np.random.default_rng(16)
    reality = rng.choice([-1.0, 1.0], size=(5000, 8))
    content = rng.uniform(-1, 1, size=(5000, 8))
    result = rng.uniform(-1, 1, size=(5000, 8))
    share = 0.3
    codified = platform.codify(content, result, reality, share)
    ahead = result * reality > content * reality
    assert np.array_equal(codified[~ahead], content[~ahead])
    assert codified[ahead] == pytest.approx(content[ahead] + share * (result - content)[ahead])
    assert (codified * reality >= content * reality).all()
    assert (np.abs(codified) <= 1).all()


# -------------------------------------------------------------- digital maturity


def test_params_initial_maturity_is_the_mean_cbs_use_share():
    shares = (0.88, 0.79, 0.61, 0.13)  # website, social media, cloud, AI
    assert digital_maturity.Params().initial_mean == pytest.approx(sum(shares) / 4)


def test_initial_maturity_by_size_class():
    # n = 30,000 per class; Beta SD about 0.15, SD of each mean about 0.001.
    rng = np.random.default_rng(17)
    p = digital_maturity.Params()
    size_class = np.repeat([0, 1, 2], 30_000)
    maturity = digital_maturity.initial_maturity(size_class, p, rng)
    assert ((maturity > 0) & (maturity < 1)).all()
    means = [maturity[size_class == c].mean() for c in range(3)]
    assert means == pytest.approx([0.8 * 0.6025, 0.6025, 0.6025], abs=0.005)
    mean = 0.6025
    variance = mean * (1 - mean) / (p.spread + 1)  # Beta with concentration spread
    assert maturity[size_class == 1].var() == pytest.approx(variance, rel=0.05)


def test_digital_capability_uses_only_the_digital_dimensions():
    reality = np.array([1.0, -1.0, 1.0, 1.0])
    codes = np.array([
        [1.0, -1.0, -1.0, -1.0],   # knows both digital dimensions
        [1.0, 1.0, 1.0, 1.0],      # one right, one wrong: 0
        [-1.0, 1.0, 1.0, 1.0],     # both wrong: clipped at 0
        [0.5, 0.0, 1.0, 1.0],      # 0.5 / 2 on two, 2.5 / 4 on all four
    ])
    capability = digital_maturity.digital_capability
    assert capability(codes, reality, 2).tolist() == [1.0, 0.0, 0.0, 0.25]
    assert capability(codes, reality, 0).tolist() == [0.0] * 4
    assert capability(codes, reality, 4).tolist() == [0.0, 0.5, 0.0, 0.625]


def test_adoption_by_hand():
    p = dataclasses.replace(digital_maturity.Params(), adoption_rate=0.05, project_boost=0.02)
    maturity = np.array([0.2, 0.8, 0.5, 0.99, 0.4])
    capability = np.array([0.6, 0.3, 0.5, 1.0, 0.4])
    successes = np.array([0, 0, 2, 1, 0])
    after = digital_maturity.adopt(maturity, capability, successes, p)
    assert after.tolist() == pytest.approx([0.22, 0.8, 0.54, 1.0, 0.4])


def test_adoption_never_falls_and_stays_in_the_unit_interval():
    rng = np.random.default_rng(18)
    p = digital_maturity.Params()
    maturity = rng.random(10_000)
    capability = rng.random(10_000)
    successes = rng.integers(0, 3, size=10_000)
    after = digital_maturity.adopt(maturity, capability, successes, p)
    assert (after >= maturity).all() and (after <= 1).all()
    plain = digital_maturity.adopt(maturity, capability, np.zeros(10_000), p)
    behind = capability > maturity
    assert plain[behind] == pytest.approx(
        maturity[behind] + p.adoption_rate * (capability - maturity)[behind])
    assert np.array_equal(plain[~behind], maturity[~behind])


# ------------------------------------------------------------------- membership


def test_reputation_is_an_exponential_average_from_zero():
    model = tiny_model()
    p = model.params.membership
    assert model.reputation.tolist() == [0.0, 0.0]
    # Everyone takes part; community 0 had a success this month, community 1 none.
    model.members["engaged"][:] = model.members["active"]
    model.ledger["projects_succeeded"][:] = [2.0, 0.0]
    weight = 1 / p.reputation_memory
    membership.update_reputation(model, p)
    assert model.reputation.tolist() == pytest.approx([weight, 0.5 * weight])
    for _ in range(11):
        membership.update_reputation(model, p)
    held = 1 - (1 - weight) ** 12
    assert model.reputation.tolist() == pytest.approx([held, 0.5 * held])

    # Half of community 1's active members take part, and no success: signal 0.25.
    rows = np.flatnonzero(model.members["community"] == 1)
    model.members["engaged"][rows] = np.arange(rows.size) % 2 == 0
    share = model.members["engaged"][rows].mean()
    model.ledger["projects_succeeded"][:] = 0.0
    before = model.reputation.copy()
    membership.update_reputation(model, p)
    expected = (1 - weight) * before + weight * np.array([0.5, 0.5 * share])
    assert model.reputation == pytest.approx(expected)


def test_companies_join_at_join_rate_times_reputation():
    # Reputation held at its fixed point 0.5 (all engaged, no successes); nobody
    # leaves. n = 150 months x 2 communities at 4 x 0.5 = 2 joiners a month:
    # SD of a community's monthly mean 0.115, of both together 0.082.
    model = tiny_model("membership.join_rate=4", "membership.exit_hazard=0")
    model.members["engaged"][:] = model.members["active"]
    model.reputation[:] = 0.5
    before = np.bincount(model.members["community"], minlength=2)
    for _ in range(150):
        membership.step(model)
    assert model.reputation == pytest.approx([0.5, 0.5])
    joined = np.bincount(model.members["community"], minlength=2) - before
    assert joined / 150 == pytest.approx([2.0, 2.0], abs=0.35)
    assert joined.sum() / 300 == pytest.approx(2.0, abs=0.25)
    assert not model.members["founder"][-joined.sum():].any()


def test_nobody_joins_a_community_without_reputation():
    model = tiny_model("membership.join_rate=100", "membership.exit_hazard=0")
    model.members["engaged"][:] = False  # signal 0: reputation stays 0
    size = len(model.members)
    for _ in range(10):
        membership.step(model)
    assert model.reputation.tolist() == [0.0, 0.0]
    assert len(model.members) == size


# ------------------------------------------------------------------- engagement


def test_commitment_target_is_logistic():
    assert engagement.commitment_target(np.array([0.0]), 1.0).tolist() == [0.5]
    for scale in (0.5, 1.0, 3.0):
        at_scale = engagement.commitment_target(np.array([scale, -scale]), scale)
        assert at_scale.tolist() == pytest.approx([1 / (1 + math.exp(-1)),
                                                   1 / (1 + math.exp(1))])
    net = np.linspace(-30, 30, 601)
    target = engagement.commitment_target(net, 2.0)
    assert (np.diff(target) > 0).all()
    assert target + target[::-1] == pytest.approx(np.ones(601))
    assert ((target >= 0) & (target <= 1)).all()
    # The smallest allowed value_scale, with no overflow warning (warnings are errors).
    extreme = engagement.commitment_target(np.array([-100.0, 100.0]), 1e-6)
    assert extreme.tolist() == [0.0, 1.0]


def test_settle_moves_commitment_towards_its_target():
    model = tiny_model()
    p = model.params.engagement
    members = model.members
    n = len(members)
    members["engaged"][:] = np.arange(n) % 2 == 0
    members["contribution"][:] = np.where(members["engaged"], 0.6, 0.0)
    members["value"][:] = np.linspace(0.0, 2.0, n)
    members["commitment"][:] = np.linspace(0.0, 1.0, n)
    members["active"][-1] = False
    before = members["commitment"].copy()

    cost = np.where(members["engaged"], p.participation_cost * 1.6 / 2, 0.0)
    net = p.goal_alignment * members["value"] - cost
    target = 1 / (1 + np.exp(-net / p.value_scale))
    expected = before + p.commitment_rate * (target - before)
    expected[-1] = before[-1]

    engagement.settle(model)
    assert members["commitment"] == pytest.approx(expected)
    assert members["net_history"][:-1, -1] == pytest.approx(net[:-1])
    assert members["months"][:-1].tolist() == [1] * (n - 1)
    assert members["months"][-1] == 0


def test_commitment_stays_in_the_unit_interval_in_a_run():
    model = tiny_model("engagement.participation_cost=5", "engagement.commitment_rate=1")
    for _ in range(12):
        model.step()
        commitment = model.members["commitment"]
        assert ((commitment >= 0) & (commitment <= 1)).all()
    assert model.members["commitment"].min() < 0.1  # a heavy cost drives it down


# --------------------------------------------------- mechanisms switched on and off

STEPS = 24


@functools.cache
def run(*overrides: str, seed: int = 1) -> tuple[LearningCommunityModel, dict]:
    """A tiny-scenario model run for STEPS months, with what it started from."""
    model = tiny_model(f"scenario.steps={STEPS}", *overrides, seed=seed)
    start = {
        "members": len(model.members),
        "maturity": model.organisations["maturity"].copy(),
        "reality": model.reality.copy(),
        "code": model.organisations["code"].copy(),
    }
    boundary = []
    for _ in range(STEPS):
        model.step()
        boundary.append(model.boundary_reduction.copy())
    start["boundary"] = np.array(boundary)
    return model, start


def series(*overrides: str):
    model, _ = run(*overrides)
    table = model.outcomes()
    return table[table["community"] == "all"].set_index("step")


def test_learning_switch():
    # Projects off in both runs: then only organisational learning changes codes.
    on, _ = run("projects.enabled=false")
    off, start_off = run("projects.enabled=false", "learning.enabled=false")
    companies = on.organisations["kind"] == 0
    assert (on.organisations["code"][companies] != 0).any()
    assert (series("projects.enabled=false")["knowledge_mean"] != 0.5).any()
    assert (off.organisations["code"][off.organisations["kind"] == 0] == 0).all()
    assert (series("projects.enabled=false", "learning.enabled=false")["knowledge_mean"]
            == 0.5).all()
    assert np.array_equal(off.reality, start_off["reality"])  # no frontier drift


def test_exchange_switch():
    assert series()["flow_company_company"].sum() > 0
    off = series("exchange.enabled=false")
    assert (off["flow_company_company"] == 0).all()
    model, _ = run("exchange.enabled=false")
    assert (model.ties["trust_ab"] == model.params.trust.initial).all()


def test_trust_switch():
    on, _ = run()
    initial = on.params.trust.initial
    moved = np.concatenate([on.ties["trust_ab"], on.ties["trust_ba"]]) != initial
    assert moved.sum() > 5
    off, _ = run("trust.enabled=false")
    assert (off.ties["trust_ab"] == initial).all() and (off.ties["trust_ba"] == initial).all()


def test_institutions_switch():
    # Exchange off in both runs: institutions then teach companies only in visits.
    visits = series("exchange.enabled=false")["flow_institution_company"]
    assert (visits > 0).sum() >= STEPS // 2
    off = series("exchange.enabled=false", "institutions.enabled=false")
    assert (off["flow_institution_company"] == 0).all()

    # Learning and projects off in both runs, and institutions that start
    # knowing nothing right: their codes then change only by research.
    quiet = ("learning.enabled=false", "projects.enabled=false",
             "scenario.institution_accuracy=0")
    on, start = run(*quiet)
    institution = np.flatnonzero(on.organisations["kind"] == 1)  # made at set-up
    known = share_known(on.organisations["code"][institution], on.reality)
    known_before = share_known(start["code"][institution], on.reality)
    assert (known_before == 0).all() and (known > 0.5).all()
    off, start = run(*quiet, "institutions.enabled=false")
    institution = np.flatnonzero(off.organisations["kind"] == 1)
    assert np.array_equal(off.organisations["code"][institution], start["code"][institution])


def test_platform_switch():
    # The tiny scenario opens the platform at the start of month 6; more
    # projects than by default, so that some succeed after it opened.
    busy = "projects.start_rate=0.2"
    on, _ = run(busy)
    flow = series(busy)["flow_platform"]
    assert (flow.loc[:6] == 0).all() and flow.loc[7:].sum() > 0
    assert on.platform_open and (on.platform_content != 0).any()
    off, _ = run(busy, "platform.enabled=false")
    assert series(busy, "platform.enabled=false")["projects_succeeded"].loc[7:].sum() > 0
    assert (series(busy, "platform.enabled=false")["flow_platform"] == 0).all()
    assert off.platform_open and (off.platform_content == 0).all()


def test_maturity_switch():
    on, start = run()
    founders = np.flatnonzero(start["maturity"] == start["maturity"])  # not NaN
    founders = founders[on.organisations["kind"][founders] == 0]
    after = on.organisations["maturity"][founders]
    assert (after >= start["maturity"][founders]).all()
    assert (after > start["maturity"][founders]).sum() > founders.size // 2
    off, start = run("maturity.enabled=false")
    assert np.array_equal(off.organisations["maturity"][founders], start["maturity"][founders])


def test_membership_switch():
    # A higher outside exit hazard in both runs, so that someone surely leaves.
    hazard = "membership.exit_hazard=0.05"
    on, start = run(hazard)
    left = (on.members["left"] >= 0).sum()
    joined = len(on.members) - start["members"]
    assert left > 0 and joined > 0
    off, start = run(hazard, "membership.enabled=false")
    assert len(off.members) == start["members"]
    assert (off.members["left"] == -1).all() and off.members["active"].all()
    assert series(hazard, "membership.enabled=false")["active_members"].nunique() == 1


def test_projects_switch():
    on, _ = run()
    assert series()["projects_started"].sum() > 0
    assert on.members["incumbent"].any()
    off, _ = run("projects.enabled=false")
    assert (series("projects.enabled=false")["projects_started"] == 0).all()
    assert not off.projects and not off.members["incumbent"].any()


def test_facilitation_switch():
    on, start = run()
    reduction = on.params.facilitation.boundary_reduction
    # A boundary object in most months (welcomes come first).
    assert (start["boundary"] == reduction).mean() > 0.5
    assert set(np.unique(start["boundary"])) <= {0.0, reduction}
    assert on.members["welcomed"].any()
    off, start = run("facilitation.enabled=false")
    assert (start["boundary"] == 0).all()
    assert not off.members["welcomed"].any()


def test_engagement_switch():
    on, _ = run()
    active = on.members["active"]
    initial = on.params.engagement.initial_commitment
    assert np.abs(on.members["commitment"][active] - initial).mean() > 0.05
    assert (on.members["contribution"][active] < 1).any()
    off, _ = run("engagement.enabled=false")
    # Companies that joined in the last month have not taken part yet.
    active = off.members["active"] & (off.members["joined"] < off.steps)
    assert active.sum() >= 10
    assert (off.members["commitment"] == off.params.engagement.initial_commitment).all()
    assert off.members["engaged"][active].all()
    assert (off.members["contribution"][active] == 1).all()
