"""The window desk: a clerk signs on to a window and calls, serves and closes tickets there."""
