"""lcsim: an agent-based model of learning communities.

The Python API:

* :func:`compose_config` builds a config from Hydra overrides;
* :func:`simulate` runs one replication and returns its outcome tables;
* :func:`run_replications` runs several, in parallel, identically to serial;
* :func:`load_results` reads a finished run directory back.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lcsim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

from lcsim.config.compose import compose_config  # noqa: E402
from lcsim.config.validate import validate  # noqa: E402
from lcsim.experiment.runner import RunResult, run_replications, simulate  # noqa: E402
from lcsim.experiment.store import Results, load_results  # noqa: E402
from lcsim.model.model import LearningCommunityModel  # noqa: E402

__all__ = [
    "LearningCommunityModel",
    "Results",
    "RunResult",
    "__version__",
    "compose_config",
    "load_results",
    "run_replications",
    "simulate",
    "validate",
]
