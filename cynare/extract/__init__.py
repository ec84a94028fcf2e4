"""The extract contract shared by the on-premises agent and the cloud import (docs/extract-format.md)."""
