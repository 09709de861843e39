using System.Text.Json.Nodes;

namespace TypedBatch.Generators.Tests.Schemas;

/// <summary>The validator rejects each rule it checks, so that a builder schema passing it means something.</summary>
public sealed class StrictModeValidatorTests
{
    private const string Valid = """
        {
          "type": "object",
          "description": "valid",
          "properties": {
            "name": { "type": "string", "format": "date", "pattern": "^[0-9-]+$", "minLength": 1, "maxLength": 10 },
            "tags": { "type": "array", "items": { "type": "string" }, "minItems": 0, "maxItems": 5 },
            "kind": { "type": ["string", "null"], "enum": ["a", "b", null] },
            "score": { "type": "number", "minimum": 0, "maximum": 1, "exclusiveMinimum": -1, "exclusiveMaximum": 2, "multipleOf": 0.5 },
            "fixed": { "type": "string", "const": "x" },
            "next": { "anyOf": [ { "$ref": "#/$defs/Node" }, { "type": "null" } ] }
          },
          "required": ["name", "tags", "kind", "score", "fixed", "next"],
          "additionalProperties": false,
          "$defs": {
            "Node": {
              "type": "object",
              "properties": { "root": { "$ref": "#" }, "again": { "$ref": "#/$defs/Node" } },
              "required": ["root", "again"],
              "additionalProperties": false
            }
          }
        }
        """;

    [Fact]
    public void A_schema_using_every_supported_keyword_passes()
    {
        StrictModeValidator.Validate(Valid, "Valid_name-1").Should().BeEmpty();
    }

    [Fact]
    public void A_root_that_is_not_an_object_is_rejected()
    {
        StrictModeValidator.Validate("""{"type":"array","items":{"type":"string"}}""", "List")
            .Should().ContainSingle().Which.Should().Be("the root is not an object schema");
    }

    [Fact]
    public void A_nullable_root_is_rejected()
    {
        Problems(schema => schema["type"] = new JsonArray("object", "null")).Should().Contain("the root is not an object schema");
    }

    [Fact]
    public void An_object_without_additionalProperties_false_is_rejected()
    {
        Problems(schema => schema["$defs"]!["Node"]!.AsObject().Remove("additionalProperties"))
            .Should().ContainSingle().Which.Should().Be("#/$defs/Node: additionalProperties must be false");
    }

    [Fact]
    public void An_object_with_additionalProperties_true_is_rejected()
    {
        Problems(schema => schema["additionalProperties"] = true)
            .Should().ContainSingle().Which.Should().Be("#: additionalProperties must be false");
    }

    [Fact]
    public void A_property_missing_from_required_is_rejected()
    {
        Problems(schema => schema["required"]!.AsArray().RemoveAt(0))
            .Should().ContainSingle().Which.Should().Be("#: 'name' is not in required");
    }

    [Fact]
    public void An_object_schema_without_properties_is_rejected()
    {
        Problems(schema => schema["properties"]!["tags"]!["items"] = JsonNode.Parse("""{"type":"object","additionalProperties":false}"""))
            .Should().ContainSingle().Which.Should().Be("#/properties/tags/items: an object must list its properties");
    }

    [Theory]
    [InlineData("allOf")]
    [InlineData("not")]
    [InlineData("if")]
    [InlineData("then")]
    [InlineData("else")]
    [InlineData("dependentRequired")]
    [InlineData("dependentSchemas")]
    [InlineData("oneOf")]
    [InlineData("patternProperties")]
    public void An_unsupported_keyword_is_rejected(string keyword)
    {
        Problems(schema => schema["properties"]!["name"]![keyword] = new JsonArray())
            .Should().ContainSingle().Which.Should().Be($"#/properties/name: '{keyword}' is not supported in strict mode");
    }

    [Theory]
    [InlineData("default")]
    [InlineData("title")]
    [InlineData("uniqueItems")]
    public void A_keyword_outside_the_supported_list_is_rejected(string keyword)
    {
        Problems(schema => schema["properties"]!["tags"]![keyword] = true)
            .Should().ContainSingle().Which.Should().Be($"#/properties/tags: unknown keyword '{keyword}'");
    }

    [Theory]
    [InlineData("uri")]
    [InlineData("date-time-offset")]
    [InlineData("int32")]
    public void A_format_outside_the_allowed_list_is_rejected(string format)
    {
        Problems(schema => schema["properties"]!["name"]!["format"] = format)
            .Should().ContainSingle().Which.Should().Be($"#/properties/name: the format '{format}' is not supported");
    }

    [Theory]
    [InlineData("date-time")]
    [InlineData("date")]
    [InlineData("time")]
    [InlineData("duration")]
    [InlineData("email")]
    [InlineData("hostname")]
    [InlineData("ipv4")]
    [InlineData("ipv6")]
    [InlineData("uuid")]
    public void Every_allowed_format_passes(string format)
    {
        Problems(schema => schema["properties"]!["name"]!["format"] = format).Should().BeEmpty();
    }

    [Theory]
    [InlineData("#/$defs/Missing")]
    [InlineData("#/properties/name")]
    [InlineData("other.json")]
    public void A_reference_that_does_not_resolve_to_a_definition_is_rejected(string reference)
    {
        Problems(schema => schema["$defs"]!["Node"]!["properties"]!["again"]!["$ref"] = reference)
            .Should().ContainSingle().Which.Should().StartWith("#/$defs/Node/properties/again: the reference");
    }

    [Fact]
    public void Definitions_below_the_root_are_rejected()
    {
        Problems(schema => schema["properties"]!["tags"]!["$defs"] = new JsonObject())
            .Should().ContainSingle().Which.Should().Be("#/properties/tags: $defs is allowed only at the root");
    }

    [Fact]
    public void A_schema_that_says_nothing_is_rejected()
    {
        Problems(schema => schema["properties"]!["tags"]!["items"] = new JsonObject())
            .Should().ContainSingle().Which.Should().Be("#/properties/tags/items: the schema does not say what it is (no type, enum, const, anyOf or $ref)");
    }

    [Fact]
    public void An_unknown_type_is_rejected()
    {
        Problems(schema => schema["properties"]!["name"]!["type"] = "text")
            .Should().ContainSingle().Which.Should().Be("#/properties/name: 'text' is not a type");
    }

    [Fact]
    public void An_array_without_items_is_rejected()
    {
        Problems(schema => schema["properties"]!["tags"]!.AsObject().Remove("items"))
            .Should().ContainSingle().Which.Should().Be("#/properties/tags: an array must have items");
    }

    [Fact]
    public void Duplicate_keys_are_rejected()
    {
        StrictModeValidator.Validate("""{"type":"object","properties":{},"required":[],"additionalProperties":false,"description":"a","description":"b"}""", "Dup")
            .Should().ContainSingle().Which.Should().StartWith("the schema is not valid JSON");
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("List<int>")]
    [InlineData("a.b")]
    public void A_schema_name_outside_the_alphabet_is_rejected(string name)
    {
        StrictModeValidator.Validate(Valid, name).Should().ContainSingle().Which.Should().StartWith("the schema name");
    }

    [Fact]
    public void A_schema_name_of_65_characters_is_rejected_and_64_pass()
    {
        StrictModeValidator.Validate(Valid, new string('a', 64)).Should().BeEmpty();
        StrictModeValidator.Validate(Valid, new string('a', 65)).Should().ContainSingle().Which.Should().StartWith("the schema name");
    }

    [Fact]
    public void Five_thousand_properties_pass_and_one_more_is_rejected()
    {
        StrictModeValidator.Validate(WithProperties(StrictModeValidator.MaxProperties), "Wide").Should().BeEmpty();
        StrictModeValidator.Validate(WithProperties(StrictModeValidator.MaxProperties + 1), "Wide")
            .Should().ContainSingle().Which.Should().Be("5001 properties in all, more than 5000");
    }

    [Fact]
    public void Properties_count_across_all_objects_and_definitions()
    {
        // 2 objects of 2500 properties, one of them in $defs, plus the 2 that hold them.
        JsonObject schema = WithProperties(2500, "a");
        schema["properties"]!["inner"] = WithProperties(2500, "b");
        schema["required"]!.AsArray().Add("inner");
        schema["properties"]!["defined"] = new JsonObject { ["$ref"] = "#/$defs/D" };
        schema["required"]!.AsArray().Add("defined");
        schema["$defs"] = new JsonObject { ["D"] = WithProperties(1, "c") };

        StrictModeValidator.Validate(schema.ToJsonString(), "Wide").Should().ContainSingle().Which.Should().Be("5003 properties in all, more than 5000");
    }

    [Fact]
    public void Ten_levels_of_objects_pass_and_eleven_are_rejected()
    {
        StrictModeValidator.Validate(Nested(StrictModeValidator.MaxNesting), "Deep").Should().BeEmpty();
        StrictModeValidator.Validate(Nested(StrictModeValidator.MaxNesting + 1), "Deep")
            .Should().ContainSingle().Which.Should().Be("objects nested 11 levels deep, more than 10");
    }

    [Fact]
    public void Nesting_counts_through_arrays_and_anyOf()
    {
        JsonObject schema = Nested(StrictModeValidator.MaxNesting + 1, (child, i) => i % 2 == 0
            ? new JsonObject { ["type"] = "array", ["items"] = child }
            : new JsonObject { ["anyOf"] = new JsonArray(child, new JsonObject { ["type"] = "null" }) });

        StrictModeValidator.Validate(schema.ToJsonString(), "Deep").Should().ContainSingle().Which.Should().Be("objects nested 11 levels deep, more than 10");
    }

    [Fact]
    public void A_thousand_enum_values_pass_and_one_more_is_rejected()
    {
        StrictModeValidator.Validate(WithEnumValues(500, 500), "Enums").Should().BeEmpty();
        StrictModeValidator.Validate(WithEnumValues(500, 501), "Enums")
            .Should().ContainSingle().Which.Should().Be("1001 enum values in all, more than 1000");
    }

    [Fact]
    public void Null_is_not_counted_as_an_enum_value()
    {
        JsonObject schema = JsonNode.Parse(WithEnumValues(500, 500))!.AsObject();
        schema["properties"]!["e0"]!["enum"]!.AsArray().Add(null);
        schema["properties"]!["e0"]!["type"] = new JsonArray("string", "null");

        StrictModeValidator.Validate(schema.ToJsonString(), "Enums").Should().BeEmpty();
    }

    private static IReadOnlyList<string> Problems(Action<JsonObject> edit)
    {
        JsonObject schema = JsonNode.Parse(Valid)!.AsObject();
        edit(schema);
        return StrictModeValidator.Validate(schema.ToJsonString(), "Edited");
    }

    private static JsonObject Closed(JsonObject properties) => new()
    {
        ["type"] = "object",
        ["properties"] = properties,
        ["required"] = new JsonArray(properties.Select(p => (JsonNode?)JsonValue.Create(p.Key)).ToArray()),
        ["additionalProperties"] = false,
    };

    private static string WithProperties(int count) => WithProperties(count, "p").ToJsonString();

    private static JsonObject WithProperties(int count, string prefix)
    {
        var properties = new JsonObject();
        for (int i = 0; i < count; i++)
        {
            properties[prefix + i] = new JsonObject { ["type"] = "integer" };
        }

        return Closed(properties);
    }

    /// <summary><paramref name="levels"/> objects, each the only property of the one above; the innermost holds a string.</summary>
    private static string Nested(int levels) => Nested(levels, (child, _) => child).ToJsonString();

    private static JsonObject Nested(int levels, Func<JsonObject, int, JsonObject> wrap)
    {
        JsonObject current = Closed(new JsonObject { ["leaf"] = new JsonObject { ["type"] = "string" } });
        for (int level = levels - 1; level >= 1; level--)
        {
            current = Closed(new JsonObject { ["child"] = wrap(current, level) });
        }

        return current;
    }

    private static string WithEnumValues(params int[] counts)
    {
        var properties = new JsonObject();
        for (int e = 0; e < counts.Length; e++)
        {
            properties["e" + e] = new JsonObject
            {
                ["type"] = "string",
                ["enum"] = new JsonArray(Enumerable.Range(0, counts[e]).Select(i => (JsonNode?)JsonValue.Create("v" + i)).ToArray()),
            };
        }

        return Closed(properties).ToJsonString();
    }
}
