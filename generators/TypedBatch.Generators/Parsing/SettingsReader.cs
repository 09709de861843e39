using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TypedBatch.Generators.Diagnostics;
using TypedBatch.Generators.Model;

namespace TypedBatch.Generators.Parsing;

/// <summary>Reads <c>[Completion]</c> into the settings being merged, reporting values the API would reject.</summary>
internal static class SettingsReader
{
    public static void Read(AttributeData completion, SettingsBuilder settings, DiagnosticSink sink, CancellationToken cancellationToken)
    {
        var syntax = completion.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        foreach (KeyValuePair<string, TypedConstant> argument in completion.NamedArguments)
        {
            Location? where = syntax?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == argument.Key)?.GetLocation() ?? syntax?.GetLocation();
            object? value = argument.Value.Kind == TypedConstantKind.Array ? null : argument.Value.Value;
            switch (argument.Key)
            {
                case "Model" when value is string model:
                    settings.Model = model;
                    break;
                case "Temperature" when value is double temperature:
                    if (double.IsNaN(temperature) || temperature < 0 || temperature > 2)
                    {
                        sink.Report(DiagnosticDescriptors.TemperatureOutOfRange, where, temperature.ToString(CultureInfo.InvariantCulture));
                    }

                    settings.Temperature = temperature;
                    break;
                case "MaxTokens" when value is int maxTokens:
                    if (maxTokens < 1)
                    {
                        sink.Report(DiagnosticDescriptors.MaxTokensOutOfRange, where, maxTokens.ToString(CultureInfo.InvariantCulture));
                    }

                    settings.MaxTokens = maxTokens;
                    break;
                case "TopP" when value is double topP:
                    if (double.IsNaN(topP) || topP <= 0 || topP > 1)
                    {
                        sink.Report(DiagnosticDescriptors.TopPOutOfRange, where, topP.ToString(CultureInfo.InvariantCulture));
                    }

                    settings.TopP = topP;
                    break;
                case "MaxRepairAttempts" when value is int repairs:
                    if (repairs is < 0 or > 5)
                    {
                        sink.Report(DiagnosticDescriptors.RepairAttemptsOutOfRange, where, repairs.ToString(CultureInfo.InvariantCulture));
                    }

                    settings.MaxRepairAttempts = repairs;
                    break;
                case "Seed" when value is long seed:
                    settings.Seed = seed;
                    break;
                case "Stop":
                    string?[] stops = argument.Value.Kind == TypedConstantKind.Array && !argument.Value.IsNull ? argument.Value.Values.Select(v => v.Value as string).ToArray() : System.Array.Empty<string?>();
                    if (stops.Length is 0 or > 4 || stops.Any(string.IsNullOrEmpty))
                    {
                        sink.Report(DiagnosticDescriptors.InvalidStop, where);
                    }
                    else
                    {
                        settings.Stop = stops.Select(s => s!).ToList();
                    }

                    break;
            }
        }
    }
}

/// <summary>Settings as they are merged: interface defaults first, then the method's overrides.</summary>
internal sealed class SettingsBuilder
{
    public string? Model { get; set; }

    public double? Temperature { get; set; }

    public int? MaxTokens { get; set; }

    public double? TopP { get; set; }

    public long? Seed { get; set; }

    public List<string>? Stop { get; set; }

    public string? EmbeddingModel { get; set; }

    public int? Dimensions { get; set; }

    public int MaxRepairAttempts { get; set; } = 1;

    public SettingsBuilder Clone() => (SettingsBuilder)MemberwiseClone();

    public SettingsModel Build(bool embedding) => embedding
        ? new SettingsModel(EmbeddingModel, null, null, null, null, EquatableArray<string>.Empty, Dimensions)
        : new SettingsModel(Model, Temperature, MaxTokens, TopP, Seed, Stop is null ? EquatableArray<string>.Empty : new EquatableArray<string>(Stop), null);
}
