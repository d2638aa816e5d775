"""What a run found: per-operation outcomes, violations with evidence, and the versioned report model."""
