"""The back office for topics: the triage queue, the committee's steps, moderation."""
