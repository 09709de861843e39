using System.Text.Json;
using TypedBatch.Generators.Parsing;

namespace TypedBatch.Generators.Tests.Schemas;

/// <summary>
/// The builder names properties at compile time the way System.Text.Json's naming policies will at run time; a name
/// that differs is a property the parser rejects (unmapped members are disallowed) and a required one it never sees.
/// </summary>
public sealed class NamingPolicyAgreementTests
{
    public static TheoryData<string, string> Names()
    {
        string[] names =
        [
            "Name", "FirstName", "URLValue", "ID", "Id", "IOStream", "X", "x", "lowerStart", "ABC", "Item2Count",
            "SHA512Hash", "Version2", "V2Api", "Already_Snake", "snake_case", "_Leading", "Trailing_", "Double__Underscore",
            "UPPER_CASE", "Äpfel", "ÜberName", "A", "AB", "Ab", "aB", "First Name", "URL Value", "A B", " Leading", "Trailing ",
            "Two  Spaces",
        ];
        var data = new TheoryData<string, string>();
        foreach (NamingPolicy policy in Enum.GetValues<NamingPolicy>().Where(p => p != NamingPolicy.None))
        {
            foreach (string name in names)
            {
                data.Add(policy.ToString(), name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Property_names_convert_as_System_Text_Json_converts_them(string policyName, string name)
    {
        NamingPolicy policy = Enum.Parse<NamingPolicy>(policyName);
        JsonNamingPolicy runtime = policy switch
        {
            NamingPolicy.CamelCase => JsonNamingPolicy.CamelCase,
            NamingPolicy.SnakeCaseLower => JsonNamingPolicy.SnakeCaseLower,
            NamingPolicy.SnakeCaseUpper => JsonNamingPolicy.SnakeCaseUpper,
            NamingPolicy.KebabCaseLower => JsonNamingPolicy.KebabCaseLower,
            NamingPolicy.KebabCaseUpper => JsonNamingPolicy.KebabCaseUpper,
            _ => throw new ArgumentOutOfRangeException(nameof(policyName)),
        };

        JsonContractReader.ConvertName(name, policy).Should().Be(runtime.ConvertName(name));
    }

    [Fact]
    public void No_policy_keeps_the_name()
    {
        JsonContractReader.ConvertName("URLValue", NamingPolicy.None).Should().Be("URLValue");
    }
}
