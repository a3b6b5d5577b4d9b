"""Operations: one module each, registered in `registry.REGISTRY` (see registry.py)."""
