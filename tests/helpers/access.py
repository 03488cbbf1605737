"""What loading a member's access context costs (accounts/access.py)."""

# Re-reading the version after a change made in this process, then memberships, blocks,
# sanctions, two-factor and verifications.
COLD_ACCESS_CONTEXT_QUERIES = 6
