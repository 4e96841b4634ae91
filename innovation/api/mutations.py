"""Every change the API offers, feature by feature in the order of the pipeline.

Each feature module holds its inputs, payloads and resolvers, and lists its mutations with the
roles that may run them and what they do; all of them run through ``commands.mutate``. A new
aggregate brings its own module, added here.
"""

from __future__ import annotations

from strawberry.tools import merge_types

from innovation.api.ethics import EthicsMutations
from innovation.api.experiments import ExperimentMutations
from innovation.api.ideas import IdeaMutations
from innovation.api.releases import ReleaseMutations

Mutation = merge_types(
    "Mutation", (IdeaMutations, ExperimentMutations, EthicsMutations, ReleaseMutations)
)
