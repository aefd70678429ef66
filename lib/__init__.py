"""cos-ci-unbinder: unbinds COS buckets from Cloud Infinite only when nothing blocks it."""

__version__ = "0.2.0"
