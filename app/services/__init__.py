"""Named operations the window and the command line call: one transaction per action."""
