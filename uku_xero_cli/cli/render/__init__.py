"""Models to Rich renderables, one module per area: pure, nothing prints; only cli/ uses them."""
