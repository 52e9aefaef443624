"""Course content: exercise files loaded from TOML and validated into frozen objects."""
