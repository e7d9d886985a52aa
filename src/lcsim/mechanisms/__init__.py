"""The model's mechanisms, one module each.

Every mechanism module has the same shape: a ``Params`` dataclass (its config
section, with an ``enabled`` switch), pure rule functions on numpy arrays that
canonical-model docking can call on a paper's own population, and
``step(model)``, which applies the rule to a :class:`LearningCommunityModel`
for one month. :data:`SCHEDULE` in ``lcsim.model.model`` fixes their order.
"""
