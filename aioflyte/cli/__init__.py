"""Command line: ``aioflyte run | serve | register | package`` (click)."""
