"""The recycle bin (回收站) of deleted customers."""
