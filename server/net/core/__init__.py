"""The engine: NetworkSpec, the size formula, shapes, build, modules, feature capture,
the tensor -> wire encoder, export."""
