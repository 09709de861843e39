using System.Diagnostics.Tracing;
using TypedBatch.LoadTests.Clients;

namespace TypedBatch.LoadTests.Scenarios;

/// <summary>
/// Where the bytes go: the runtime's <c>GCAllocationTick</c> events (one about every 100 KB allocated, naming the type
/// of the object that crossed the threshold) summed by type while a client sends the workload. A sample, not a census,
/// but types that take a large share of the ticks are the ones to look at.
/// </summary>
internal static class AllocationProfiler
{
    public static async Task<string> RunAsync(EmulatorProcess emulator, IReadOnlyList<string> clients, int concurrency, int requests, int warmup, int top, CancellationToken cancellationToken)
    {
        var sections = new List<string>();
        foreach (string kind in clients)
        {
            await using IClientRunner client = ClientFactory.Create(kind, emulator.BaseUrl, "gpt-4o-mini", concurrency);
            await client.RunAsync(Workload.Topics(warmup, 900_000), cancellationToken);
            long before = GC.GetTotalAllocatedBytes(precise: true);
            Dictionary<string, long> byType;
            using (var listener = new AllocationTickListener())
            {
                await client.RunAsync(Workload.Topics(requests), cancellationToken);
                byType = listener.Snapshot();
            }

            long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            double sampled = Math.Max(1, byType.Values.Sum());
            var table = new MarkdownTable("Type (allocation ticks)", "Share of sampled bytes", "≈ bytes / request");
            foreach ((string type, long bytes) in byType.GroupBy(static p => Shorten(p.Key), static p => p.Value).Select(static g => (g.Key, g.Sum())).OrderByDescending(static p => p.Item2).Take(top))
            {
                table.Add($"`{type}`", Fmt.Percent(bytes / sampled), Fmt.N0(bytes / sampled * allocated / requests));
            }

            var components = new MarkdownTable("Component (by type name)", "Share of sampled bytes", "≈ bytes / request");
            foreach ((string component, long bytes) in byType.GroupBy(static p => Component(p.Key), static p => p.Value).Select(static g => (g.Key, g.Sum())).OrderByDescending(static p => p.Item2))
            {
                components.Add(component, Fmt.Percent(bytes / sampled), Fmt.N0(bytes / sampled * allocated / requests));
            }

            string text = $"**{client.Name}**: {Fmt.N0(allocated / (double)requests)} B/request over {requests:N0} requests (listener attached)\n\n{table}\n{components}";
            Console.WriteLine(text);
            sections.Add(text);
        }

        return $"""
            Allocation ticks by type (`Microsoft-Windows-DotNETRuntime`, GC keyword, verbose: `GCAllocationTick_V4`), in-process `EventListener`,
            after {warmup:N0} warm-up requests; {concurrency} in flight. Bytes per request are the type's share of the ticks times the precise total.

            {string.Join("\n\n", sections)}
            """;
    }

    /// <summary><c>AsyncStateMachineBox`1[TResult,Ns.Type+&lt;Method&gt;d__12`2[…]]</c> → <c>async Ns.Type.Method</c>; other generics keep their outer name.</summary>
    private static string Shorten(string type)
    {
        const string Box = "AsyncStateMachineBox`1[";
        if (type.StartsWith(Box, StringComparison.Ordinal))
        {
            int depth = 0;
            for (int i = Box.Length; i < type.Length; i++)
            {
                depth += type[i] == '[' ? 1 : type[i] == ']' ? -1 : 0;
                if (depth == 0 && type[i] == ',')
                {
                    string machine = type[(i + 1)..^1];
                    int open = machine.IndexOf('[', StringComparison.Ordinal);
                    machine = open > 0 ? machine[..open] : machine;
                    int plus = machine.LastIndexOf("+<", StringComparison.Ordinal);
                    if (plus < 0)
                    {
                        return "async " + machine;
                    }

                    string method = machine[(plus + 1)..].TrimStart('<');
                    int end = method.IndexOf('>', StringComparison.Ordinal);
                    return "async " + machine[..plus] + "." + (end > 0 ? method[..end] : method);
                }
            }
        }

        int bracket = type.IndexOf('[', StringComparison.Ordinal);
        return bracket > 0 && !type.EndsWith("[]", StringComparison.Ordinal) ? type[..bracket] + "[…]" : type;
    }

    /// <summary>A rough owner of a type by its name; strings, arrays and boxes cannot be attributed this way.</summary>
    private static string Component(string type) => type switch
    {
        _ when type.Contains("Polly", StringComparison.Ordinal) || type.Contains("Resilience", StringComparison.Ordinal) => "Polly / Microsoft.Extensions.Http.Resilience",
        _ when type.Contains("Refit", StringComparison.Ordinal) => "Refit",
        _ when type.Contains("TypedBatch.LoadTests", StringComparison.Ordinal) => "benchmark harness",
        _ when type.Contains("TypedBatch", StringComparison.Ordinal) => "TypedBatch",
        _ when type.Contains("OpenAI", StringComparison.Ordinal) || type.Contains("ClientModel", StringComparison.Ordinal) || type.StartsWith("Propagator", StringComparison.Ordinal) => "OpenAI SDK / System.ClientModel",
        _ when type.Contains("Microsoft.Extensions.AI", StringComparison.Ordinal) => "Microsoft.Extensions.AI",
        _ when type.Contains("Microsoft.Extensions.Http", StringComparison.Ordinal) || type.Contains("Logging", StringComparison.Ordinal) => "IHttpClientFactory handlers / logging",
        _ when type.Contains("System.Net.Http", StringComparison.Ordinal) || type.StartsWith("HeaderStoreItemInfo", StringComparison.Ordinal) || type == "UriInfo" || type.StartsWith("System.Uri", StringComparison.Ordinal) => "System.Net.Http",
        _ when type.Contains("System.Text.Json", StringComparison.Ordinal) => "System.Text.Json",
        "System.String" or "System.Byte[]" or "System.Char[]" or "System.String[]" or "System.Object[]" => "strings and arrays (any owner)",
        _ when type.StartsWith("System.Int", StringComparison.Ordinal) || type.StartsWith("System.Double", StringComparison.Ordinal) || type.StartsWith("System.Boolean", StringComparison.Ordinal) => "boxed numbers (any owner)",
        _ => "other",
    };

    private sealed class AllocationTickListener : EventListener
    {
        private const EventKeywords GcKeyword = (EventKeywords)0x1;
        private readonly Dictionary<string, long> _byType = new(StringComparer.Ordinal);

        public Dictionary<string, long> Snapshot()
        {
            lock (_byType)
            {
                return new Dictionary<string, long>(_byType, StringComparer.Ordinal);
            }
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.PayloadNames is null)
            {
                return;
            }

            int typeIndex = eventData.PayloadNames.IndexOf("TypeName");
            int amountIndex = eventData.PayloadNames.IndexOf("AllocationAmount64");
            if (amountIndex < 0)
            {
                amountIndex = eventData.PayloadNames.IndexOf("AllocationAmount");
            }

            string type = typeIndex >= 0 ? eventData.Payload?[typeIndex] as string ?? "?" : "?";
            long amount = amountIndex >= 0 ? Convert.ToInt64(eventData.Payload?[amountIndex], System.Globalization.CultureInfo.InvariantCulture) : 0;
            lock (_byType)
            {
                _byType[type] = _byType.GetValueOrDefault(type) + amount;
            }
        }
    }
}
