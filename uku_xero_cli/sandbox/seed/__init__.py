"""Generators of the emulator's seeded accounting data (called by `sandbox.data.build_world`)."""
