import os

# Tests run with DEBUG off (like production) and need a key that is not the built-in one.
os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("MEETINGROOM_VAR_DIR", os.path.join(os.path.dirname(__file__), "var", "test"))
os.environ.setdefault("FAST_PASSWORD_HASHER_FOR_TESTS", "1")
