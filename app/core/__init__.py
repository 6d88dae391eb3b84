"""The rules of case assessment, free of Qt and of any database."""
