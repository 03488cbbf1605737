"""An email backend that holds every send until the test lets it go, so a test can
tell an email sent on the request from one sent after it."""

import threading

from django.core.mail.backends.locmem import EmailBackend


class HeldEmailBackend(EmailBackend):
    """locmem's outbox, but each send waits for ``release``; ``started`` says one began."""

    started = threading.Event()
    release = threading.Event()

    def send_messages(self, email_messages) -> int:
        type(self).started.set()
        if not type(self).release.wait(timeout=5):
            raise TimeoutError("the test never released the held email")
        return super().send_messages(email_messages)
