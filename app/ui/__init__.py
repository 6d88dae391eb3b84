"""The window: widgets that call services and draw the plain data they return."""
