"""Abstract models every app builds on: UUID keys and timestamps."""

import uuid

from django.db import models


class UUIDModel(models.Model):
    """A model keyed by a random UUID, so ids never reveal counts or collide across schemas."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True


class TimestampedModel(UUIDModel):
    """A UUID model that records when it was created and last changed."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
