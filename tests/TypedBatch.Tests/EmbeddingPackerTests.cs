namespace TypedBatch.Tests;

public sealed class EmbeddingPackerTests
{
    [Fact]
    public void Packs_by_count_then_by_estimated_tokens_in_order()
    {
        string[] inputs = ["aaa", "bbb", "ccc", "ddddddddd", "e"];

        var chunks = EmbeddingPacker.Pack(inputs, maxInputs: 2, maxTokens: 3).ToList();

        chunks.Select(c => string.Join(",", c.Inputs)).Should().Equal("aaa,bbb", "ccc", "ddddddddd", "e");
        chunks.Select(c => c.FirstIndex).Should().Equal(0, 2, 3, 4);
    }

    [Fact]
    public void Packing_is_lazy()
    {
        int pulled = 0;
        IEnumerable<string> Inputs()
        {
            for (int i = 0; i < 1_000_000; i++)
            {
                pulled++;
                yield return "x";
            }
        }

        using IEnumerator<EmbeddingChunk> chunks = EmbeddingPacker.Pack(Inputs(), 2048, 250_000).GetEnumerator();
        chunks.MoveNext();

        chunks.Current.Inputs.Should().HaveCount(2048);
        pulled.Should().Be(2049, "one input past the first chunk is read to know it is full");
    }

    [Fact]
    public async Task A_lazy_sequence_with_an_empty_text_fails_that_input_only()
    {
        var client = new TypedBatchClient(new FakeChatProvider());
        static IEnumerable<string> Inputs()
        {
            yield return "one";
            yield return string.Empty;
            yield return "three";
        }

        BatchResult<EmbeddingVector> result = await client.CreateEmbeddingsBatchAsync(Inputs());

        result.Select(i => i.Succeeded).Should().Equal(true, false, true);
        result[1].Error!.Kind.Should().Be(BatchErrorKind.InvalidInput);
        result[2].Value!.Vector.ToArray()[0].Should().Be(5, "the fake embeds 'three' as its length");
        result.Usage.PromptTokens.Should().Be(2, "usage is shared over the inputs sent and adds up to the request's");
    }
}
