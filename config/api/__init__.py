"""What every DRF endpoint shares: pagination, errors, the permission matrix, base viewsets."""
