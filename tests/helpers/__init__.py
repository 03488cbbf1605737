"""What several test modules share: the cast's password, worlds of posts, socket drivers.

Test modules and conftests import from here, never from one another.
"""
