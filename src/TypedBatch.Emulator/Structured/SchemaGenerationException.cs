namespace TypedBatch.Emulator.Structured;

/// <summary>A checked schema has no value the faker can build, e.g. a recursion that never allows an end.</summary>
internal sealed class SchemaGenerationException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public SchemaGenerationException()
        : this("The schema has no finite instance the emulator can generate.")
    {
    }

    /// <summary>Creates the exception with a message that names the problem.</summary>
    /// <param name="message">What is wrong with the schema.</param>
    public SchemaGenerationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What is wrong with the schema.</param>
    /// <param name="innerException">The cause.</param>
    public SchemaGenerationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
