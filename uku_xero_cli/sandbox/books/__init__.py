"""The accounting API of the emulator (`/api.xro/2.0`), registered by `sandbox.accounting`."""
