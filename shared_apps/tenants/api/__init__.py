"""The operator API of the base domain: onboard tenants and follow their provisioning."""
