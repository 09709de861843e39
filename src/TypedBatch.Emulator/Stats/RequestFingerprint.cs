using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace TypedBatch.Emulator;

/// <summary>A stable identifier of a request's content, the same for every retry of one request.</summary>
public static class RequestFingerprint
{
    /// <summary>
    /// Lowercase hex of the first 8 bytes of SHA-256 over the UTF-8 of
    /// <c>model + "\n"</c> followed by <c>role + ":" + content + "\n"</c> for each message.
    /// Embeddings requests use the role <c>input</c> for each input string.
    /// </summary>
    /// <param name="model">The requested model.</param>
    /// <param name="messages">The messages in order; a null content counts as empty.</param>
    /// <returns>16 lowercase hex digits.</returns>
    public static string Compute(string model, IEnumerable<(string Role, string Content)> messages)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(messages);

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(512);
        try
        {
            Append(hash, model, ref buffer);
            hash.AppendData("\n"u8);
            foreach ((string? role, string? content) in messages)
            {
                Append(hash, role, ref buffer);
                hash.AppendData(":"u8);
                Append(hash, content, ref buffer);
                hash.AppendData("\n"u8);
            }

            Span<byte> digest = stackalloc byte[32];
            hash.GetHashAndReset(digest);
            return Convert.ToHexStringLower(digest[..8]);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void Append(IncrementalHash hash, string? text, ref byte[] buffer)
    {
        if (string.IsNullOrEmpty(text))
        {
            return;
        }

        int needed = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (needed > buffer.Length)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = ArrayPool<byte>.Shared.Rent(needed);
        }

        int length = Encoding.UTF8.GetBytes(text, buffer);
        hash.AppendData(buffer, 0, length);
    }
}
