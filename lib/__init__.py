"""cos-ci-unbinder: unbind COS buckets from Cloud Infinite only when nothing blocks it."""
