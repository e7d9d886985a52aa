"""Config schema, validation and composition of lcsim's Hydra configs."""
