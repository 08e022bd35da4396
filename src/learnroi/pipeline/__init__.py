"""learnroi.pipeline layer."""
