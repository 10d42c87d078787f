"""IAM for the emulator: policy documents read and checked once, evaluated on every request as
AWS evaluates identity-based policies and a role's trust policy."""
