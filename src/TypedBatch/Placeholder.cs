namespace TypedBatch;
internal static class Placeholder { }
