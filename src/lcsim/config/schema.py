"""The config schema: dataclasses registered with Hydra's ConfigStore.

The YAML files under ``configs/`` fill these in; every field is declared with
:func:`lcsim.config.params.param` (meaning, unit, range, source), and
:func:`lcsim.config.validate.validate` checks a composed config against those
declarations before any model is built.
"""

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore

from lcsim.config.params import param
from lcsim.docking import COMMUNITY, STUDIES
from lcsim.docking.clustering import Settings as ClusteringSettings
from lcsim.docking.cognitive_distance import Settings as DistanceSettings
from lcsim.docking.cowan_jonard2004 import Settings as CowanJonardSettings
from lcsim.docking.granovetter1978 import Settings as GranovetterSettings
from lcsim.docking.march1991 import Settings as MarchSettings
from lcsim.mechanisms.digital_maturity import Params as MaturityParams
from lcsim.mechanisms.engagement import Params as EngagementParams
from lcsim.mechanisms.facilitation import Params as FacilitationParams
from lcsim.mechanisms.institutions import Params as InstitutionParams
from lcsim.mechanisms.interventions import Intervention
from lcsim.mechanisms.joint_projects import Params as ProjectParams
from lcsim.mechanisms.knowledge_exchange import Params as ExchangeParams
from lcsim.mechanisms.membership import Params as MembershipParams
from lcsim.mechanisms.organisational_learning import Params as LearningParams
from lcsim.mechanisms.platform import Params as PlatformParams
from lcsim.mechanisms.trust import Params as TrustParams
from lcsim.model.ishigami import Params as IshigamiParams


@dataclass
class SizeMix:
    micro: float = param(0.81, "Share of micro companies (1-9 staff).", low=0.0, high=1.0,
                         source="CBS SMEs excl. self-employed 2016 (80.8 %)")
    small: float = param(0.16, "Share of small companies (10-49 staff).", low=0.0,
                         high=1.0, source="CBS 2016 (15.8 %)")
    medium: float = param(0.03, "Share of medium companies (50-249 staff).", low=0.0,
                          high=1.0, source="CBS 2016 (3.3 %)")


@dataclass
class ScenarioConfig:
    name: str = param("custom", "Name of the scenario.")
    n_communities: int = param(15, "Learning communities.", low=1, high=10_000,
                               source="Clic-it (13-15)")
    n_companies: int = param(525, "Founding member companies over all communities.",
                             low=1, high=1_000_000, source="Clic-it (500+)")
    community_size_skew: float = param(
        1.2, "Zipf exponent of community sizes (0: equal sizes).", low=0.0, high=5.0,
        source="Clic-it: one LC of about 200 firms, mean 33-38 (assumption: form)",
    )
    size_mix: SizeMix = field(default_factory=SizeMix)
    n_institutions: int = param(8, "Knowledge institutions.", low=0, high=10_000,
                                source="Clic-it")
    institutions_per_community_min: int = param(
        1, "Fewest institutions serving one community.", low=0, high=100,
        source="SCIENCE.md (1-4)",
    )
    institutions_per_community_max: int = param(
        4, "Most institutions serving one community.", low=0, high=100,
        source="SCIENCE.md (1-4)",
    )
    institution_staff: int = param(
        40, "Staff, students and interns of an institution active in communities.",
        unit="people", low=1, high=100_000, source="assumption",
    )
    institution_accuracy: float = param(
        0.8, "Chance that an institution's belief on a dimension matches the frontier.",
        low=0.0, high=1.0, source="SCIENCE.md: institutions start nearer the frontier",
    )
    knowledge_dimensions: int = param(
        30, "Dimensions m of knowledge (March's reality).", low=1, high=10_000,
        source="March 1991 (m = 30)",
    )
    digital_dimensions: int = param(
        10, "Leading dimensions that make up the digital domains.", low=0,
        high=10_000, source="assumption",
    )
    ties_per_member: int = param(
        6, "Ties of each member in its community's small world (even).", low=2, high=20,
        source="Watts & Strogatz 1998; SCIENCE.md (2-20)",
    )
    rewiring: float = param(
        0.1, "Rewiring probability of the community's small world.", low=0.0, high=1.0,
        source="Cowan & Jonard 2004; SCIENCE.md",
    )
    steps: int = param(48, "Months simulated.", unit="month", low=1, high=10_000,
                       source="Clic-it: four years")
    interventions: list[Intervention] = param(
        [], "Timed events (see lcsim.mechanisms.interventions), in firing order."
    )


@dataclass
class ProductiveConfig:
    min_retention: float = param(
        0.5, "Least share of founding member companies still active.", low=0.0, high=1.0,
    )
    knowledge_window: int = param(
        12, "Months over which members' mean knowledge must have grown.",
        unit="month", low=1, high=1000,
    )
    success_window: int = param(
        12, "Months within which at least one joint project must have succeeded.",
        unit="month", low=1, high=1000,
    )


@dataclass
class DockingConfig:
    """Sizes and grids of the docking studies (see :mod:`lcsim.docking`)."""

    granovetter1978: GranovetterSettings = field(default_factory=GranovetterSettings)
    march1991: MarchSettings = field(default_factory=MarchSettings)
    cowan_jonard2004: CowanJonardSettings = field(default_factory=CowanJonardSettings)
    clustering: ClusteringSettings = field(default_factory=ClusteringSettings)
    cognitive_distance: DistanceSettings = field(default_factory=DistanceSettings)


DESIGNS = ("grid", "zip", "lhs", "sobol", "morris", "table")


@dataclass
class AdaptiveConfig:
    """Adaptive replications of a sweep (lcsim.sweep.adaptive)."""

    target: float = param(
        0.0, "Largest allowed 95 % CI half-width of every key outcome at every point; "
        "points get more replications until they meet it (0: off, replications fixed).",
        low=0.0,
    )
    relative: bool = param(
        False, "Read target as a share of the outcome's |mean| at the point, not in "
        "the outcome's own units.",
    )
    max_replications: int = param(
        100, "Most replications of one point in an adaptive sweep.", low=2, high=1_000_000,
    )
    max_runs: int = param(
        0, "Most runs of a whole adaptive sweep (0: no limit beyond max_replications).",
        low=0, high=100_000_000,
    )


@dataclass
class SweepConfig:
    """How ``lcsim run -m`` builds its design points and runs them (lcsim.sweep)."""

    design: str = param(
        "grid", "Design over sweep.parameters: full grid or zipped lists of values, "
        "Latin hypercube, Sobol (Saltelli), Morris trajectories, or rows of a CSV.",
        choices=DESIGNS,
    )
    parameters: dict[str, Any] = param(
        {}, "Swept parameters by config path, each {values: [...]} or {low, high} with "
        "optional integer: true and dist: uniform or loguniform.",
    )
    n: int = param(
        16, "Points of an lhs design; base sample N of sobol (a power of 2); "
        "trajectories of morris.", low=1, high=1_000_000,
    )
    levels: int = param(4, "Grid levels of morris (even); k integer or categorical "
                        "values are equally likely only if k divides it (else a "
                        "logged warning).", low=2, high=1000)
    second_order: bool = param(False, "Sobol design with second-order indices.")
    sampler_seed: int | None = param(
        None, "Seed of the lhs, sobol and morris samplers (null: the root seed).", low=0,
    )
    table: str = param("", "CSV file of the table design: one column per config key.")
    common_random_numbers: bool = param(
        True, "Replicate r of every point uses the same seed (child r of "
        "SeedSequence(seed)); false gives every run its own seed.",
    )
    batch_size: int = param(
        0, "Runs per batch handed to a worker (0: automatic).", low=0, high=1_000_000,
    )
    key_outcomes: list[str] = param(
        ["productive_share", "retention", "knowledge_mean"],
        "Outcomes whose precision a sweep reports (columns of sweep.parquet).",
    )
    ci_share: float = param(
        0.1, "Warn when a key outcome's 95 % CI half-width exceeds this share of its "
        "mean at some point (0: never).", low=0.0, high=100.0,
    )
    adaptive: AdaptiveConfig = field(default_factory=AdaptiveConfig)


LAUNCHERS = ("local", "slurm")


@dataclass
class LauncherConfig:
    """Where ``lcsim run -m`` runs its batches (configs/launcher/, lcsim.sweep.slurm).

    ``local`` runs them on this machine's cores (``n_jobs``); ``slurm`` submits
    them as Slurm job arrays through submitit, several batches per array task,
    and waits for them. The other keys apply to ``slurm`` only.
    """

    name: str = param("local", "Launcher of a sweep's batches: local worker processes "
                      "or Slurm job arrays.", choices=LAUNCHERS)
    partition: str = param("", "Slurm partition of the array tasks (empty: the "
                           "cluster's default partition).")
    time_min: int = param(60, "Time limit of one array task.", unit="min", low=1,
                          high=525_600)
    cpus_per_task: int = param(1, "Cores of one array task; its batches run on as "
                               "many local workers.", low=1, high=1024)
    mem_gb: float = param(0.0, "Memory of one array task (0: the partition's default).",
                          unit="GB", low=0.0, high=100_000.0)
    array_parallelism: int = param(64, "Most array tasks running at once; also sets the "
                                   "automatic batch size.", low=1, high=100_000)
    max_array_size: int = param(1000, "Most tasks in one job array (Slurm's MaxArraySize "
                                "- 1); more tasks go into further arrays.", low=1,
                                high=1_000_000)
    batches_per_task: int = param(4, "Batches one array task runs, so that its start-up "
                                  "(about 1 s) is spread over many runs.", low=1,
                                  high=1_000_000)
    account: str = param("", "Slurm account to charge (empty: the user's default).")
    qos: str = param("", "Slurm quality of service (empty: the default).")
    setup: list[str] = param([], "Shell lines run before each array task, e.g. "
                             "module load commands.")
    logs: str = param("slurm", "Folder inside the sweep directory for Slurm's logs, "
                      "one attempt-N folder per submitting command.")


METHODS = ("sobol", "morris", "fast", "rbd_fast", "delta", "pawn")
DISCOVERY_METHODS = ("prim", "cart")
DIRECTIONS = ("at_least", "at_most")


@dataclass
class DiscoveryConfig:
    """Scenario discovery after a sensitivity analysis (lcsim.sensitivity.discovery)."""

    methods: list[str] = param(
        ["prim", "cart"], "Scenario-discovery methods: prim (patient rule induction) and "
        "cart (a shallow classification tree); [] for no scenario discovery.",
    )
    outcome: str = param(
        "productive_share", "Final-month outcome (community all) that classifies a run as "
        "productive or not; productive_share is the share of communities productive at the "
        "final month under the thresholds of productive.*.",
    )
    threshold: float = param(
        0.5, "A run is productive when its outcome is at least (direction at_least) or at "
        "most (at_most) this value; at most 1 for productive_share.",
        unit="the outcome's", low=0.0,
    )
    direction: str = param("at_least", "Which side of the threshold is productive.",
                           choices=DIRECTIONS)
    min_coverage: float = param(
        0.5, "PRIM: the chosen box is the densest box of the peeling trajectory that holds "
        "at least this share of the productive runs.", low=0.0, high=1.0,
    )
    peel_alpha: float = param(
        0.05, "PRIM: share of the runs in the box peeled off at each step.", low=0.01,
        high=0.5,
    )
    mass_min: float = param(
        0.05, "PRIM and CART: least share of all runs in a box or a leaf.", low=0.001,
        high=0.5,
    )
    depth: int = param(3, "CART: depth of the classification tree.", low=1, high=8)
    shuffles: int = param(
        99, "Runs' outcomes shuffled this many times to see what each method finds by "
        "chance; a region is reported only if it beats that (0: no check).",
        low=0, high=10_000,
    )
    significance: float = param(
        0.05, "Largest share of shuffles (with the observed data counted as one) whose best "
        "region is as dense as a reported region.", low=0.0001, high=1.0,
    )


@dataclass
class AnalysisConfig:
    """The problem and method of ``lcsim sensitivity`` (configs/analysis/, lcsim.sensitivity)."""

    method: str = param(
        "sobol", "Sensitivity method of SALib: Sobol (S1, ST, S2), Morris (mu_star, "
        "sigma), FAST, RBD-FAST, delta or PAWN.", choices=METHODS,
    )
    n: int = param(
        64, "Base sample size: N of sobol (rounded up to a power of 2), trajectories of "
        "morris, points per parameter of fast, points of rbd_fast, delta and pawn.",
        low=1, high=10_000_000,
    )
    parameters: dict[str, Any] = param(
        {}, "Parameters in doubt by config path, each {low, high} (equal bounds: held "
        "fixed) with optional integer: true and dist: uniform or loguniform, or "
        "{values: [...]} (categorical); integer and categorical values are equally "
        "likely (under morris see analysis.levels).",
    )
    outcomes: list[str] = param(
        ["productive_share", "retention", "knowledge_growth", "innovations"],
        "Outcomes analysed (time-series columns of community all).",
    )
    steps: list[int] = param(
        [12, 24, 36, 48], "Months at which each outcome is analysed (empty for a scalar "
        "stand-in model).", unit="month",
    )
    second_order: bool = param(False, "Sobol: second-order indices S2 too.")
    levels: int = param(4, "Morris: grid levels (even); k integer or categorical "
                        "values are equally likely only if k divides it (else a "
                        "logged warning).", low=2, high=1000)
    sampler_seed: int | None = param(
        None, "Seed of the sampler and of the bootstrap; with repeats above 1, the seed "
        "their seeds are spawned from (null: the root seed).", low=0,
    )
    resamples: int = param(
        100, "Bootstrap resamples of SALib's confidence intervals.", low=1, high=100_000,
    )
    conf_level: float = param(0.95, "Confidence level of the intervals.", low=0.5,
                              high=0.999)
    repeats: int = param(
        1, "Independent samples of the same design (sampler seeds spawned from "
        "SeedSequence of the analysis seed), each analysed on its own; above 1 the indices "
        "are their mean and the intervals come from their spread (t-interval), not from "
        "the bootstrap.", low=1, high=1000,
    )
    noise_warning: float = param(
        0.1, "Warn when replication noise (pooled within-row variance / replications) is "
        "more than this share of the variance of the row means at an outcome and month "
        "(0: never).", low=0.0, high=100.0,
    )
    wide_interval: float = param(
        0.1, "Mark an interval wide, and warn, when its half-width exceeds this share of "
        "the largest |value| of its index at that outcome and month (0: never).",
        low=0.0, high=100.0,
    )
    simulate: bool = param(
        True, "Run the missing model runs; false analyses the runs stored in "
        "hydra.run.dir only.",
    )
    discovery: DiscoveryConfig = field(default_factory=DiscoveryConfig)


MODELS = ("community", "ishigami")
FIGURE_FORMATS = ("png", "svg", "pdf")


@dataclass
class LcsimConfig:
    model: str = param(
        "community", "Model the runs execute: the learning-community model, or the "
        "Ishigami function, a stand-in with known sensitivity indices.", choices=MODELS,
    )
    study: str = param(
        COMMUNITY, "What a run executes: the learning-community model, or a docking "
        "study of a canonical model (see experiments/README.md).",
        choices=(COMMUNITY, *STUDIES),
    )
    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)
    learning: LearningParams = field(
        default_factory=LearningParams
    )
    exchange: ExchangeParams = field(default_factory=ExchangeParams)
    trust: TrustParams = field(default_factory=TrustParams)
    engagement: EngagementParams = field(default_factory=EngagementParams)
    projects: ProjectParams = field(default_factory=ProjectParams)
    facilitation: FacilitationParams = field(default_factory=FacilitationParams)
    membership: MembershipParams = field(default_factory=MembershipParams)
    institutions: InstitutionParams = field(default_factory=InstitutionParams)
    platform: PlatformParams = field(default_factory=PlatformParams)
    maturity: MaturityParams = field(default_factory=MaturityParams)
    productive: ProductiveConfig = field(default_factory=ProductiveConfig)
    docking: DockingConfig = field(default_factory=DockingConfig)
    ishigami: IshigamiParams = field(default_factory=IshigamiParams)
    sweep: SweepConfig = field(default_factory=SweepConfig)
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)
    launcher: LauncherConfig = field(default_factory=LauncherConfig)
    replications: int = param(10, "Replications of the run (of each point in a sweep; its first "
                              "round with sweep.adaptive.target).",
                              low=1, high=1_000_000)
    seed: int = param(
        20221001, "Root seed; replication seeds are spawned from SeedSequence(seed).",
        low=0,
    )
    n_jobs: int = param(
        -1, "Worker processes for replications (-1: all cores).", low=-1, high=4096,
    )
    figures: bool = param(True, "Write PNG figures into the run directory.")
    figures_format: str = param(
        "png", "File format of the figures: png only, or a vector copy (svg or pdf) next "
        "to each PNG.", choices=FIGURE_FORMATS,
    )
    figures_max_pixels: int = param(
        4000, "Largest width or height of a figure's PNG; a figure larger at 120 dpi is "
        "written at the lower dpi that fits it, same layout and aspect ratio.", unit="pixel",
        low=200, high=20_000,
    )


MECHANISM_SECTIONS = (
    "learning", "exchange", "trust", "engagement", "projects", "facilitation",
    "membership", "institutions", "platform", "maturity",
)


def register_configs() -> None:
    """Register the schemas with Hydra's ConfigStore (idempotent)."""
    store = ConfigStore.instance()
    store.store(name="lcsim_schema", node=LcsimConfig)
    store.store(group="scenario", name="base_scenario", node=ScenarioConfig)
    store.store(group="launcher", name="base_launcher", node=LauncherConfig)
