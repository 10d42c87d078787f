"""The organization wing: which accounts an audit reaches, as which role, and the control plane
(STS, Organizations, EC2) that gets it there. The request path below knows nothing of it."""
