"""Development tools of connectsim (not shipped in the package)."""
