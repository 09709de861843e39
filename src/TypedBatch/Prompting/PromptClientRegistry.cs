using System.Collections.Concurrent;
using System.ComponentModel;

namespace TypedBatch;

/// <summary>
/// Factories of generated prompt clients, registered by a module initializer in the assembly that declares the
/// interface, so that <see cref="TypedBatchClient.For{T}"/> needs no reflection and works under trimming.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class PromptClientRegistry
{
    private static readonly ConcurrentDictionary<Type, Func<TypedBatchClient, object>> Factories = new();

    /// <summary>Registers the generated factory of <typeparamref name="T"/>. Called by generated code.</summary>
    /// <typeparam name="T">The prompt client interface.</typeparam>
    /// <param name="factory">Creates the implementation over a client.</param>
    public static void Register<T>(Func<TypedBatchClient, T> factory)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(factory);
        Factories[typeof(T)] = factory;
    }

    internal static T Create<T>(TypedBatchClient client)
        where T : class
    {
        if (!Factories.TryGetValue(typeof(T), out Func<TypedBatchClient, object>? factory))
        {
            throw new InvalidOperationException(
                $"No generated prompt client is registered for {typeof(T).FullName}. Mark the interface [PromptClient] and declare it partial, "
                + "and make sure the TypedBatch package (with its source generator) is referenced by the project that declares it.");
        }

        return (T)factory(client);
    }
}
