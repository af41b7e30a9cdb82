"""The COS encoding: Cloud Infinite rules, Pic-Operations, media-job bodies and their inverses (pure)."""
