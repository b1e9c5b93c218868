// Placeholder translation unit for a layer with no sources of its own yet.
