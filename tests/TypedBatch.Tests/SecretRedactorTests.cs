using TypedBatch.Providers;

namespace TypedBatch.Tests;

/// <summary>The masking every journaled answer and error message passes through: secrets go, other text stays as it is.</summary>
public sealed class SecretRedactorTests
{
    private const string Key = "sk-proj-Abc123Def456Ghi789Jkl012";
    private const string Token = "ghu_CopilotSession0123456789xyz";

    [Fact]
    public void A_text_without_a_secret_comes_back_as_the_same_string()
    {
        var redactor = new SecretRedactor(Key, Token);
        string answer = "{\"Category\":\"bug\",\"Summary\":\"The nightly backup fails with 0x80070005 since the update.\"}";

        string redacted = redactor.Redact(answer);

        redacted.Should().BeSameAs(answer, "the common case allocates no new string");
        redactor.RedactOrNull(null).Should().BeNull();
        redactor.Redact(null).Should().BeEmpty();
        SecretRedactor.None.Redact(answer).Should().BeSameAs(answer);
    }

    [Fact]
    public void A_configured_key_is_masked_whole_and_in_an_Authorization_value()
    {
        var redactor = new SecretRedactor(Key);

        redactor.Redact($"Incorrect API key provided: {Key}.").Should().Be("Incorrect API key provided: ***.");
        redactor.Redact($"Authorization: Bearer {Key}").Should().Be("Authorization: Bearer ***").And.NotContain(Key);
    }

    [Fact]
    public void The_shown_start_or_end_of_a_key_is_masked()
    {
        var redactor = new SecretRedactor(Key);

        // Providers show a key as its first and last characters around an ellipsis.
        string shown = $"Incorrect API key provided: {Key[..8]}****************{Key[^8..]}.";
        string redacted = redactor.Redact(shown);

        redacted.Should().NotContain(Key[..8]).And.NotContain(Key[^8..]).And.Contain("Incorrect API key provided: ");
    }

    [Fact]
    public void A_token_learned_at_run_time_is_masked_from_then_on()
    {
        var redactor = new SecretRedactor(Key);
        string text = $"token {Token} expired";
        redactor.Redact(text).Should().BeSameAs(text, "the token is not known yet");

        redactor.Add(Token);

        redactor.Redact(text).Should().Be("token *** expired");
        redactor.Redact($"{Key} and {Token}").Should().Be("*** and ***");
    }

    [Fact]
    public void Secrets_too_short_to_mask_safely_are_ignored()
    {
        var redactor = new SecretRedactor("abc", "", null);
        string text = "abc is not masked";

        redactor.Redact(text).Should().BeSameAs(text);
    }
}
